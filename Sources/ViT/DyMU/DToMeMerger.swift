import Foundation
import Reduction
import Tensor

/// DToMe (DyMU §1.1, METHODS.md) inside a vision tower, at inference: in every block whose
/// schedule allows merging, after the attention residual and before the MLP, tokens whose best
/// bipartite match (head-averaged keys, cosine) is strictly above that block's threshold are
/// merged by size-weighted averaging; later blocks add log(size) to their attention logits.
/// One merger serves one image.
public final class DToMeMerger: VisionBlockHooks {
    public let thresholds: [Float]
    public let mergingLayers: [Bool]
    let classToken: Bool
    let heads: Int
    let width: Int

    /// Group sizes; nil until the first merging block (until then there is no log-size bias).
    public private(set) var sizes: [Float]?
    /// Which original tokens each current token holds.
    public private(set) var groups: TokenGroups
    /// Token count after each block that ran.
    public private(set) var tokenCounts: [Int] = []

    private let logSizes: UnsafeMutablePointer<Float>
    private let metric: Matrix
    private let merged: Matrix

    /// `thresholds[i]` and `mergingLayers[i]` (scheduled r_i > 0) for each block i of the tower.
    public init(thresholds: [Float], mergingLayers: [Bool], vision: VisionConfig) {
        precondition(thresholds.count == mergingLayers.count)
        self.thresholds = thresholds
        self.mergingLayers = mergingLayers
        classToken = vision.hasClassToken
        heads = vision.headCount
        width = vision.hiddenSize
        let n = vision.tokenCount
        groups = TokenGroups(originalCount: n)
        logSizes = .allocate(capacity: n)
        metric = Matrix(rows: n, cols: vision.headDim)
        merged = Matrix(rows: n, cols: vision.hiddenSize)
    }

    deinit { logSizes.deallocate() }

    public func keyBias(layer: Int, rows: Int) -> UnsafePointer<Float>? {
        sizes == nil ? nil : UnsafePointer(logSizes)
    }

    public func attentionObserver(layer: Int, rows: Int) -> ((Int, UnsafePointer<Float>) -> Void)? { nil }

    public func afterAttention(layer: Int, hidden: Matrix, rows n: Int, keys: Matrix) -> Int {
        guard layer < mergingLayers.count, mergingLayers[layer] else {
            tokenCounts.append(n)
            return n
        }
        let d = metric.cols
        MatchingMetric.headMean(keys: keys, rows: n, heads: heads, into: metric)
        let plan = BipartiteMatching.plan(metric: metric.data, rows: n, dim: d,
                                          threshold: thresholds[layer], classToken: classToken)
        let newSizes = BipartiteMatching.mergeWeighted(plan, x: hidden.data, cols: width,
                                                       sizes: sizes ?? [Float](repeating: 1, count: n), into: merged.data)
        hidden.data.update(from: merged.data, count: plan.outputCount * width)
        groups.remap(plan.destinationRows, newCount: plan.outputCount)
        sizes = newSizes
        for (i, size) in newSizes.enumerated() { logSizes[i] = logf(size) }
        tokenCounts.append(plan.outputCount)
        return plan.outputCount
    }
}
