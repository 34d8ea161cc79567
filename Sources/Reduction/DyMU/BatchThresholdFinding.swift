import Tensor

/// DToMe's threshold finding (DyMU `batch_level_bipartite_soft_matching`, training mode;
/// METHODS.md §1.1(c)): the best `r · batch` edges of the whole batch merge, so simple images
/// merge more than busy ones, and the best edge *not* merged is this batch's threshold sample.
public enum BatchThresholdFinding {
    public struct Step: Sendable {
        /// Per image: for each current valid token, its row after the merge.
        public let destinationRows: [[Int]]
        /// Per image: valid tokens after the merge.
        public let counts: [Int]
        /// The threshold sample of this batch (≥ 0).
        public let sample: Float
    }

    /// One block's batch-level matching. `metrics[i]` holds image i's first `counts[i]` rows
    /// (its valid tokens, class token first); `r` is the block's scheduled merges per image.
    /// Returns nil when the block merges nothing (r capped to 0).
    public static func step(metrics: [Matrix], counts: [Int], r scheduled: Int, classToken: Bool) -> Step? {
        let padded = counts.max() ?? 0
        let r = min(scheduled, (padded - 1) / 2)
        guard r > 0 else { return nil }
        let perImageA = (padded + 1) / 2
        var edges: [(image: Int, a: Int, score: Float, b: Int)] = []
        for (image, metric) in metrics.enumerated() {
            let n = counts[image], d = metric.cols
            let normalised = Matrix(rows: n, cols: d)
            for t in 0..<n { MatchingMetric.normalise(metric.row(t), into: normalised.row(t), count: d) }
            for a in 0..<perImageA {
                var best = -Float.infinity, bestB = 0
                let t = 2 * a
                if t < n && !(classToken && a == 0) {
                    var b = 0
                    while 2 * b + 1 < n {
                        let score = dot(normalised.row(t), normalised.row(2 * b + 1), count: d)
                        if score > best { best = score; bestB = b }
                        b += 1
                    }
                }
                edges.append((image, a, best, bestB))
            }
        }
        // Descending over the whole batch (ties among −∞ padding rows never decide a merge here).
        let order = edges.indices.sorted { edges[$0].score != edges[$1].score ? edges[$0].score > edges[$1].score : $0 < $1 }
        let budget = r * metrics.count
        let sampleEdge = order[min(budget, order.count - 1)]
        let sample = max(edges[sampleEdge].score, 0)

        var merged = metrics.map { _ in Set<Int>() }
        var mergedInto = metrics.map { _ in [Int: Int]() }
        for e in order.prefix(budget) where edges[e].score > -.infinity {
            merged[edges[e].image].insert(edges[e].a)
            mergedInto[edges[e].image][edges[e].a] = edges[e].b
        }
        // New order per image: [kept A rows in A order (class token first) ; B rows in B order].
        var destinationRows: [[Int]] = []
        var newCounts: [Int] = []
        for image in metrics.indices {
            let n = counts[image]
            let kept = stride(from: 0, to: n, by: 2).map { $0 / 2 }.filter { !merged[image].contains($0) }
            var rows = [Int](repeating: 0, count: n)
            for (i, a) in kept.enumerated() { rows[2 * a] = i }
            let bCount = n / 2
            for b in 0..<bCount { rows[2 * b + 1] = kept.count + b }
            for (a, b) in mergedInto[image] { rows[2 * a] = kept.count + b }
            destinationRows.append(rows)
            newCounts.append(kept.count + bCount)
        }
        return Step(destinationRows: destinationRows, counts: newCounts, sample: sample)
    }
}

/// Per-block running means of threshold samples: the first sample replaces the initial 1.0,
/// later ones update τ ← (τ·count + sample)/(count + 1).
public struct ThresholdAverages: Sendable, Codable {
    public private(set) var thresholds: [Float]
    public private(set) var counts: [Int]

    public init(layers: Int) {
        thresholds = [Float](repeating: 1, count: layers)
        counts = [Int](repeating: 0, count: layers)
    }

    public mutating func add(_ sample: Float, layer: Int) {
        if counts[layer] == 0 {
            thresholds[layer] = sample
        } else {
            thresholds[layer] = (thresholds[layer] * Float(counts[layer]) + sample) / Float(counts[layer] + 1)
        }
        counts[layer] += 1
    }
}
