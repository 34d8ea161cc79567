import Reduction
import Tensor

/// Collects what VisionZip needs from the feature layer's block, and nothing from any other:
/// each token's importance (CLIP: the class token's attention to it summed over heads; SigLIP,
/// which has no class token: the attention it receives averaged over heads and queries, as the
/// paper describes, since the authors published no code for it) and the keys averaged over heads.
public final class VisionZipObserver: VisionBlockHooks {
    let layer: Int
    let classToken: Bool
    let heads: Int
    public private(set) var scores: [Float] = []
    public private(set) var metric = Matrix(rows: 0, cols: 0)

    /// `layer`: the block whose output is the feature layer (hidden_states index − 1).
    public init(layer: Int, vision: VisionConfig) {
        self.layer = layer
        classToken = vision.hasClassToken
        heads = vision.headCount
    }

    public func keyBias(layer: Int, rows: Int) -> UnsafePointer<Float>? { nil }

    public func attentionObserver(layer: Int, rows n: Int) -> ((Int, UnsafePointer<Float>) -> Void)? {
        guard layer == self.layer else { return nil }
        scores = [Float](repeating: 0, count: n)
        return { [self] _, probabilities in
            if classToken {
                // Row 0 is the class token's query; its own column is kept out by the selection.
                for j in 0..<n { scores[j] += probabilities[j] }
            } else {
                let share = 1 / Float(n * heads)
                for i in 0..<n { for j in 0..<n { scores[j] += probabilities[i * n + j] * share } }
            }
        }
    }

    public func afterAttention(layer: Int, hidden: Matrix, rows n: Int, keys: Matrix) -> Int {
        guard layer == self.layer else { return n }
        metric = MatchingMetric.headMean(keys: keys, rows: n, heads: heads)
        return n
    }
}
