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

/// Heads of an attention layer; grouped-query attention shares each K/V head among heads / kvHeads.
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

/// Scaled dot-product attention with grouped-query heads:
/// out_h = softmax(scale · Q_h K_gᵀ + keyBias + mask) V_g, with g = h / (heads / kvHeads).
///
/// Q rows are `heads · headDim` wide (stride `queryStride`); K and V rows are `kvHeads · headDim`
/// wide (stride `kvStride`). `keyBias` (one value per key, e.g. DToMe's log-size) is added to the
/// logits before the softmax. `scores` must hold queryCount × keyCount floats, and heads × that
/// for decode steps (queryCount ≤ `attentionDirectQueries`), whose heads run in parallel.
/// `probabilities(head, p)` sees each head's softmax output (VisionZip reads the class token's row).
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
    if queryCount <= attentionDirectQueries && probabilities == nil {
        // Decode: one or two queries. Matrix products this thin cost more in OpenBLAS's call and
        // thread start-up than in arithmetic, so each head is a loop of dot products, heads in parallel.
        let box = UnsafeSendable((q, k, v, output, scores, keyBias, mask))
        Parallel.forRanges(shape.heads) { heads in
            let (q, k, v, output, scores, keyBias, mask) = box.value
            for h in heads {
                let g = h / group
                for i in 0..<queryCount {
                    let row = scores + (h * queryCount + i) * keyCount
                    let query = q + i * queryStride + h * d
                    for j in 0..<keyCount { row[j] = dot(query, k + j * kvStride + g * d, count: d) * shape.scale }
                    if let keyBias { addInPlace(row, keyBias, count: keyCount) }
                    applyMask(mask, row: row, query: i, keyCount: keyCount)
                    softmaxInPlace(row, count: keyCount)
                    let out = output + i * outputStride + h * d
                    out.update(repeating: 0, count: d)
                    for j in 0..<keyCount where row[j] != 0 { axpy(row[j], v + j * kvStride + g * d, out, count: d) }
                }
            }
        }
        return
    }
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
                applyMask(mask, row: row, query: i, keyCount: keyCount)
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

/// Queries up to which `attention` takes its decode path.
public let attentionDirectQueries = 2

/// Sets the logits of keys that query `i` may not see to −∞.
@inline(__always)
func applyMask(_ mask: AttentionMask, row: UnsafeMutablePointer<Float>, query i: Int, keyCount: Int) {
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
}

/// y += a · x over `count` values.
@inline(__always)
func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    let va = SIMD16<Float>(repeating: a)
    while i + 16 <= count {
        let vx = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
        let vy = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: vy + va * vx, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count { y[i] += a * x[i]; i += 1 }
}
