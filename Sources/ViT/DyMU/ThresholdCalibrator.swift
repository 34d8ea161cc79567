import Foundation
import Reduction
import Tensor

/// Finds DToMe thresholds the way DyMU's `threshold_finder.py` does (METHODS.md §1.1(c)): batches
/// of images run through the tower block by block; in every block the batch's best
/// `r · batch` edges merge and the best edge left unmerged is that block's sample; each block's
/// threshold is the running mean of its samples over all batches.
public final class ThresholdCalibrator {
    public let tower: VisionTower
    /// Scheduled merges per image for each calibrated block.
    public let schedule: [Int]
    public private(set) var averages: ThresholdAverages

    /// One image's running state through the blocks of a batch.
    public struct ImageState {
        public var hidden: Matrix
        public var count: Int
        public var sizes: [Float]?
        public var groups: TokenGroups
    }

    public init(tower: VisionTower, schedule: [Int]) {
        precondition(schedule.count <= tower.layers.count, "more scheduled blocks than the tower has loaded")
        self.tower = tower
        self.schedule = schedule
        averages = ThresholdAverages(layers: schedule.count)
    }

    public var thresholds: [Float] { averages.thresholds }

    /// Continues from saved running means (a resumed calibration).
    public func restore(_ saved: ThresholdAverages) {
        precondition(saved.thresholds.count == schedule.count, "saved state has another number of blocks")
        averages = saved
    }

    /// Runs one batch (each entry the CHW pixels of one image) and updates the running means.
    /// `observe(layer, states)` sees every image's state after each block (tests).
    /// Returns each block's sample, nil where the block merged nothing.
    @discardableResult
    public func calibrate(batch: [[Float]], observe: ((Int, [ImageState]) -> Void)? = nil) -> [Float?] {
        let vision = tower.config
        var states = batch.map { pixels in
            ImageState(hidden: pixels.withUnsafeBufferPointer { tower.embeddings(pixels: $0.baseAddress!) },
                       count: vision.tokenCount, sizes: nil, groups: TokenGroups(originalCount: vision.tokenCount))
        }
        var samples: [Float?] = []
        for layer in schedule.indices {
            var metrics: [Matrix] = []
            for i in states.indices {
                let logSizes = states[i].sizes.map { $0.map { logf($0) } }
                let keys = logSizes.withOptionalPointer { tower.attentionHalf(layer, x: states[i].hidden, rows: states[i].count, keyBias: $0) }
                metrics.append(MatchingMetric.headMean(keys: keys, rows: states[i].count, heads: vision.headCount))
            }
            let step = schedule[layer] > 0
                ? BatchThresholdFinding.step(metrics: metrics, counts: states.map(\.count), r: schedule[layer], classToken: vision.hasClassToken)
                : nil
            if let step {
                for i in states.indices {
                    let merged = Matrix(rows: vision.tokenCount, cols: vision.hiddenSize)
                    let sizes = states[i].sizes ?? [Float](repeating: 1, count: states[i].count)
                    let newSizes = BipartiteMatching.mergeWeighted(
                        destinationRows: step.destinationRows[i], outputCount: step.counts[i], order: Array(0..<states[i].count),
                        x: states[i].hidden.data, cols: vision.hiddenSize, sizes: sizes, epsilon: 1e-4, into: merged.data)
                    states[i].hidden = merged
                    states[i].sizes = newSizes
                    states[i].groups.remap(step.destinationRows[i], newCount: step.counts[i])
                    states[i].count = step.counts[i]
                }
                averages.add(step.sample, layer: layer)
            }
            samples.append(step?.sample)
            for i in states.indices { tower.mlpHalf(layer, x: states[i].hidden, rows: states[i].count) }
            observe?(layer, states)
        }
        return samples
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's elements, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case let array?: array.withUnsafeBufferPointer { body($0.baseAddress) }
        case nil: body(nil)
        }
    }
}
