import Tensor

// DyMU (arXiv 2504.17040; github.com/MikeWangWZHL/dymu; METHODS.md §1), training-free:
// DToMe merges similar visual tokens inside the ViT with per-block thresholds, and VTU lets the
// LLM attend as if the unmerged sequence were there. Where it touches the engine:
//   Reduction/DyMU/BipartiteMatching.swift   one merge step (ToMe's bipartite_soft_matching + merge_wavg)
//   Reduction/DyMU/TokenGroups.swift         which original tokens a merged token holds (their P matrix)
//   ViT/DyMU/DToMeMerger.swift               the VisionBlockHooks: log-size bias, merge after attention
//   Reduction/DyMU/BatchThresholdFinding.swift, ViT/DyMU/ThresholdCalibrator.swift
//                                            threshold finding (threshold_finder.py, batch_level_…)
//   LLM/RowPlan.swift (RowPlan.virtual)      VTU: virtual rows in attention (llava_llama.py, fast path)
//   Engine/Methods/DyMUThresholds.swift, DyMUCalibration.swift   thresholds files, `vlm calibrate`
//   Engine/Methods/VisualTokenReduction.swift (.dymu)              choosing it for a request

/// DToMe's bipartite soft matching with a threshold (DyMU `bipartite_soft_matching` at inference,
/// following ToMe: github.com/facebookresearch/ToMe/blob/main/tome/merge.py). METHODS.md §1.1(a) step 5.
///
/// Tokens are split by their *current* index into A (even) and B (odd). Each A token's best
/// match in B by cosine similarity of the metric is found; every A token whose best score is
/// strictly above the threshold merges into its match, up to `(N − protected) / 2` merges.
public struct MergePlan: Sendable, Equatable {
    /// Kept A tokens (indices into A), in output order.
    public let unmerged: [Int]
    /// Merged-away A tokens (indices into A), most similar first.
    public let sources: [Int]
    /// For each source, the B token (index into B) it merges into.
    public let destinations: [Int]
    /// Per A token: its best score and the first B index that attains it.
    public let nodeMax: [Float]
    public let nodeIndex: [Int]
    /// Tokens before the merge.
    public let tokenCount: Int

    public var mergeCount: Int { sources.count }
    public var outputCount: Int { tokenCount - sources.count }

    /// For each current token t, its row in the merged output [kept A ; all B]. With no merge the
    /// reference returns the tokens untouched (ToMe's `do_nothing`), not re-ordered.
    public var destinationRows: [Int] {
        if sources.isEmpty { return Array(0..<tokenCount) }
        let kept = unmerged.count
        var rows = [Int](repeating: 0, count: tokenCount)
        for (u, a) in unmerged.enumerated() { rows[2 * a] = u }
        for (s, a) in sources.enumerated() { rows[2 * a] = kept + destinations[s] }
        for b in 0..<(tokenCount / 2) { rows[2 * b + 1] = kept + b }
        return rows
    }
}

public enum BipartiteMatching {
    /// Plans the merges of `n` tokens whose matching metric rows are `metric` [n, d].
    /// `classToken`: token 0 is a CLS that never merges (and keeps the kept-A list in index order).
    public static func plan(metric: UnsafePointer<Float>, rows n: Int, dim d: Int,
                            threshold: Float, classToken: Bool) -> MergePlan {
        let countA = (n + 1) / 2, countB = n / 2
        // Normalised A and B rows (no epsilon, as the reference).
        let a = Matrix(rows: countA, cols: d), b = Matrix(rows: max(countB, 1), cols: d)
        for t in 0..<n {
            MatchingMetric.normalise(metric + t * d, into: t % 2 == 0 ? a.row(t / 2) : b.row(t / 2), count: d)
        }
        var nodeMax = [Float](repeating: -.infinity, count: countA)
        var nodeIndex = [Int](repeating: 0, count: countA)
        if countB > 0 {
            let scores = Matrix(rows: countA, cols: countB)
            BLAS.gemmTransposedB(m: countA, n: countB, k: d, a: a.data, lda: d, b: b.data, ldb: d, c: scores.data, ldc: countB)
            for i in 0..<countA {
                let row = scores.row(i)
                var best = 0
                for j in 1..<countB where row[j] > row[best] { best = j }
                nodeMax[i] = row[best]
                nodeIndex[i] = best
            }
        }
        // The reference sets the CLS row to −∞ before its max/argmax, so its argmax is 0.
        if classToken { nodeMax[0] = -.infinity; nodeIndex[0] = 0 }

        let cap = (n - (classToken ? 1 : 0)) / 2
        let above = nodeMax.filter { $0 > threshold }.count
        let r = min(above, cap)
        // argsort(descending): ties are practically irrelevant in fp32; break them by index.
        let order = (0..<countA).sorted { nodeMax[$0] != nodeMax[$1] ? nodeMax[$0] > nodeMax[$1] : $0 < $1 }
        let sources = Array(order.prefix(r))
        var unmerged = Array(order.dropFirst(r))
        if classToken { unmerged.sort() }
        return MergePlan(unmerged: unmerged, sources: sources, destinations: sources.map { nodeIndex[$0] },
                         nodeMax: nodeMax, nodeIndex: nodeIndex, tokenCount: n)
    }

    /// Size-weighted average merge (`merge_wavg`) of a plan: row r of the output is
    /// Σ x_t·s_t / Σ s_t over the tokens t that land in r, and its size is Σ s_t.
    public static func mergeWeighted(_ plan: MergePlan, x: UnsafePointer<Float>, cols c: Int, sizes: [Float],
                                     into output: UnsafeMutablePointer<Float>) -> [Float] {
        // Kept A rows and B rows first, then sources in plan order, as scatter_reduce adds them onto dst.
        var isSource = [Bool](repeating: false, count: plan.tokenCount)
        for a in plan.sources { isSource[2 * a] = true }
        let order = (0..<plan.tokenCount).filter { !isSource[$0] } + plan.sources.map { 2 * $0 }
        return mergeWeighted(destinationRows: plan.destinationRows, outputCount: plan.outputCount, order: order,
                             x: x, cols: c, sizes: sizes, into: output)
    }

    /// Token t (taken in `order`) lands in output row `destinationRows[t]`; output rows are
    /// Σ x_t·s_t / (Σ s_t + epsilon) (the calibration path uses epsilon = 1e-4), sizes Σ s_t.
    /// Tokens whose destination is negative are dropped. `output` may not alias `x`.
    public static func mergeWeighted(destinationRows rows: [Int], outputCount: Int, order: [Int],
                                     x: UnsafePointer<Float>, cols c: Int, sizes: [Float], epsilon: Float = 0,
                                     into output: UnsafeMutablePointer<Float>) -> [Float] {
        var newSizes = [Float](repeating: 0, count: outputCount)
        output.initialize(repeating: 0, count: outputCount * c)
        for t in order where rows[t] >= 0 {
            let r = rows[t], s = sizes[t]
            let source = x + t * c, target = output + r * c
            for j in 0..<c { target[j] += source[j] * s }
            newSizes[r] += s
        }
        for r in 0..<outputCount {
            let row = output + r * c
            let denominator = newSizes[r] + epsilon
            for j in 0..<c { row[j] /= denominator }
        }
        return newSizes
    }
}
