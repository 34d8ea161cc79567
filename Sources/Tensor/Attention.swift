import Foundation

/// Which keys a query may see.
public enum AttentionMask {
    /// Every query sees every key (vision towers).
    case none
    /// Query i sees key j iff keyPositions[j] ≤ queryPositions[i]. Positions, not indices, decide:
    /// reduced or re-ordered sequences (VTU, ProxyV) stay causal in their logical order.
    case causal(queryPositions: UnsafePointer<Int32>, keyPositions: UnsafePointer<Int32>)
    /// Causal by position, and query group g may see key group h only if bit g·4 + h of
    /// `allowed` is set (ProxyV: proxies do not see image keys, text does not see proxy keys).
    case causalGroups(queryPositions: UnsafePointer<Int32>, keyPositions: UnsafePointer<Int32>,
                      queryGroups: UnsafePointer<UInt8>, keyGroups: UnsafePointer<UInt8>, allowed: UInt16)
}

/// Scaled dot-product attention with grouped-query heads:
/// out_h = softmax(scale · Q_h K_gᵀ + keyBias + mask) V_g, with g = h / (heads / kvHeads).
///
/// Q rows are `heads · headDim` wide (stride `queryStride`); K and V rows are `kvHeads · headDim`
/// wide (stride `kvStride`). `keyBias` (one value per key, e.g. DToMe's log-size) is added to the
/// logits before the softmax. `scores` must hold queryCount × keyCount floats.
public struct AttentionShape: Sendable {
    public let heads: Int
    public let kvHeads: Int
    public let headDim: Int
    public init(heads: Int, kvHeads: Int, headDim: Int) {
        precondition(heads % kvHeads == 0, "heads must be a multiple of kvHeads")
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
    }
    public var scale: Float { 1 / Float(headDim).squareRoot() }
}

public func attention(
    shape: AttentionShape,
    queries q: UnsafePointer<Float>, queryStride: Int, queryCount: Int,
    keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, kvStride: Int, keyCount: Int,
    mask: AttentionMask, keyBias: UnsafePointer<Float>? = nil,
    output: UnsafeMutablePointer<Float>, outputStride: Int,
    scores: UnsafeMutablePointer<Float>,
    probabilities: ((Int, UnsafePointer<Float>) -> Void)? = nil
) {
    let d = shape.headDim
    let group = shape.heads / shape.kvHeads
    for h in 0..<shape.heads {
        let g = h / group
        BLAS.gemmTransposedB(m: queryCount, n: keyCount, k: d, alpha: shape.scale,
                             a: q + h * d, lda: queryStride,
                             b: k + g * d, ldb: kvStride,
                             c: scores, ldc: keyCount)
        let rows = UnsafeSendable((scores, keyBias, mask))
        Parallel.forRanges(queryCount, minimumPerThread: 16) { range in
            let (scores, keyBias, mask) = rows.value
            for i in range {
                let row = scores + i * keyCount
                if let keyBias { addInPlace(row, keyBias, count: keyCount) }
                switch mask {
                case .none:
                    break
                case let .causal(queryPositions, keyPositions):
                    let p = queryPositions[i]
                    for j in 0..<keyCount where keyPositions[j] > p { row[j] = -.infinity }
                case let .causalGroups(queryPositions, keyPositions, queryGroups, keyGroups, allowed):
                    let p = queryPositions[i], g = Int(queryGroups[i]) * 4
                    for j in 0..<keyCount where keyPositions[j] > p || allowed & (1 << (g + Int(keyGroups[j]))) == 0 {
                        row[j] = -.infinity
                    }
                }
                softmaxInPlace(row, count: keyCount)
            }
        }
        probabilities?(h, scores)
        BLAS.gemm(m: queryCount, n: d, k: keyCount,
                  a: scores, lda: keyCount,
                  b: v + g * d, ldb: kvStride,
                  c: output + h * d, ldc: outputStride)
    }
}
