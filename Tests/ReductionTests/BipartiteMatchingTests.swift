import Foundation
import Reduction
import Tensor
import Testing
import TestSupport

/// Family A of ../shared/reference: one DToMe matching + merge step against DyMU's own code.
struct BipartiteMatchingTests {
    static let cases = ReferenceCase.cases("dtome_matching")

    @Test func referenceCasesExist() {
        #expect(Self.cases.count >= 7, "expected the dtome_matching cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: cases)
    func matchesReference(_ reference: ReferenceCase) throws {
        let n = reference.int("N"), d = reference.int("d"), c = reference.int("C"), n0 = reference.int("N0")
        let metric = reference.floats("metric"), x = reference.floats("x"), sizes = reference.floats("size")
        let plan = metric.withUnsafeBufferPointer {
            BipartiteMatching.plan(metric: $0.baseAddress!, rows: n, dim: d,
                                   threshold: reference.float("threshold"), classToken: reference.bool("class_token"))
        }
        #expect(plan.mergeCount == reference.int("r_applied"), "\(reference)")
        #expect(plan.outputCount == reference.int("N_out"), "\(reference)")
        #expect(plan.nodeIndex == reference.ints("node_idx"), "\(reference)")
        let nodeMax = reference.floats("node_max")
        for (ours, theirs) in zip(plan.nodeMax, nodeMax) where theirs.isFinite {
            #expect(abs(ours - theirs) <= 1e-5, "\(reference): node_max")
        }
        // The reference leaves these out when nothing merges.
        if reference.has("src_idx") { #expect(plan.sources == reference.ints("src_idx"), "\(reference): src_idx") }
        if reference.has("dst_idx") { #expect(plan.destinations == reference.ints("dst_idx"), "\(reference): dst_idx") }
        if reference.has("unm_idx") { #expect(plan.unmerged == reference.ints("unm_idx"), "\(reference): unm_idx") }

        var merged = [Float](repeating: 0, count: plan.outputCount * c)
        let newSizes = x.withUnsafeBufferPointer { xs in
            merged.withUnsafeMutableBufferPointer {
                BipartiteMatching.mergeWeighted(plan, x: xs.baseAddress!, cols: c, sizes: sizes, into: $0.baseAddress!)
            }
        }
        let (difference, bound) = maxAbsDifference(merged, reference.floats("x_out"))
        #expect(difference <= bound, "\(reference): x_out differs by \(difference)")
        #expect(newSizes == reference.floats("size_out"), "\(reference): size_out")

        // Position tracking: the multi-hot P of the reference, from our owner map.
        let p = reference.ints("pos_tracking")
        var owner = [Int32](repeating: -1, count: n0)
        for t in 0..<n { for o in 0..<n0 where p[t * n0 + o] != 0 { owner[o] = Int32(t) } }
        var groups = TokenGroups(virtualRows: owner, count: n)
        groups.remap(plan.destinationRows, newCount: plan.outputCount)
        #expect(groups.multiHot.map(Int.init) == reference.ints("pos_tracking_out"), "\(reference): pos_tracking_out")

        // merge_membership: which current tokens each output token contains.
        var membership = [Int](repeating: 0, count: plan.outputCount * n)
        for (t, row) in plan.destinationRows.enumerated() { membership[row * n + t] = 1 }
        #expect(membership == reference.ints("merge_membership"), "\(reference): merge_membership")
    }
}
