import Foundation
import Reduction
import Tensor
import Testing
import TestSupport

/// Family A of ../shared/reference: one DToMe matching + merge step against DyMU's own code.
struct BipartiteMatchingTests {
    @Test func referenceCasesExist() throws {
        #expect(try ReferenceCase.caseNames("dtome_matching").count >= 7, "expected the dtome_matching cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: ReferenceCase.cases("dtome_matching"))
    func matchesReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let n = try reference.int("N"), d = try reference.int("d"), c = try reference.int("C"), n0 = try reference.int("N0")
        let classToken = try reference.bool("class_token"), threshold = try reference.float("threshold")
        let metric = try reference.floats("metric"), x = try reference.floats("x"), sizes = try reference.floats("size")
        let plan = metric.withUnsafeBufferPointer {
            BipartiteMatching.plan(metric: $0.baseAddress!, rows: n, dim: d, threshold: threshold, classToken: classToken)
        }
        #expect(try reference.int("r_applied") == plan.mergeCount, "\(reference)")
        #expect(try reference.int("N_out") == plan.outputCount, "\(reference)")
        #expect(try reference.ints("node_idx") == plan.nodeIndex, "\(reference)")
        let nodeMax = try reference.floats("node_max")
        for (ours, theirs) in zip(plan.nodeMax, nodeMax) where theirs.isFinite {
            #expect(abs(ours - theirs) <= 1e-5, "\(reference): node_max")
        }

        // r = min(#{node_max > τ}, cap), cap = (N − protected)//2: the case states all three.
        let protected = try reference.int("protected")
        #expect(protected == (classToken ? 1 : 0), "\(reference): protected")
        let cap = try reference.int("cap")
        #expect(cap == (n - protected) / 2, "\(reference): cap")
        let above = plan.nodeMax.filter { $0 > threshold }.count
        #expect(try reference.int("count_above_threshold") == above, "\(reference): count_above_threshold")
        #expect(plan.mergeCount == min(above, cap), "\(reference): merges against count and cap")
        let sourcesPerDestination = Dictionary(grouping: plan.destinations, by: { $0 }).values.map(\.count)
        #expect(try reference.int("max_sources_into_one_dst") == sourcesPerDestination.max() ?? 0,
                "\(reference): max_sources_into_one_dst")

        // The reference leaves these out (or empty) when nothing merges.
        // With r = 0 (ToMe's do_nothing) they are empty or absent, and our kept list is all of A.
        for (name, ours) in [("src_idx", plan.sources), ("dst_idx", plan.destinations), ("unm_idx", plan.unmerged)] {
            let theirs = reference.has(name) ? try reference.ints(name) : []
            if plan.mergeCount == 0 && name == "unm_idx" {
                #expect(theirs.isEmpty, "\(reference): unm_idx without merges")
            } else {
                #expect(ours == theirs, "\(reference): \(name)")
            }
        }

        var merged = [Float](repeating: 0, count: plan.outputCount * c)
        let newSizes = x.withUnsafeBufferPointer { xs in
            merged.withUnsafeMutableBufferPointer {
                BipartiteMatching.mergeWeighted(plan, x: xs.baseAddress!, cols: c, sizes: sizes, into: $0.baseAddress!)
            }
        }
        expectClose(merged, try reference.floats("x_out"), "\(reference): x_out")
        #expect(try reference.floats("size_out") == newSizes, "\(reference): size_out")

        // Position tracking: the multi-hot P of the reference, from our owner map.
        let p = try reference.ints("pos_tracking")
        var owner = [Int32](repeating: -1, count: n0)
        for t in 0..<n { for o in 0..<n0 where p[t * n0 + o] != 0 { owner[o] = Int32(t) } }
        var groups = TokenGroups(virtualRows: owner, count: n)
        groups.remap(plan.destinationRows, newCount: plan.outputCount)
        #expect(try reference.ints("pos_tracking_out") == groups.multiHot.map(Int.init), "\(reference): pos_tracking_out")

        // merge_membership: which current tokens each output token contains.
        var membership = [Int](repeating: 0, count: plan.outputCount * n)
        for (t, row) in plan.destinationRows.enumerated() { membership[row * n + t] = 1 }
        #expect(try reference.ints("merge_membership") == membership, "\(reference): merge_membership")
    }
}
