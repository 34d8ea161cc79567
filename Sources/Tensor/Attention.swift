import CKernels
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
/// logits before the softmax. `scores` is scratch of `attentionScratchCount(…)` floats.
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
        // Decode: one or two queries. Heads in parallel, each a row of dot products over the
        // cached keys (packing them would cost as much as reading them) and a weighted sum of values.
        let box = UnsafeSendable((q, k, v, output, scores, keyBias, mask))
        Parallel.forRanges(shape.heads) { heads in
            let (q, k, v, output, scores, keyBias, mask) = box.value
            for h in heads {
                let g = h / group
                let rows = scores + h * queryCount * keyCount
                vlm_attention_dots(q + h * d, Int64(queryStride), Int64(queryCount), k + g * d, Int64(kvStride),
                                   Int64(keyCount), Int64(d), shape.scale, rows, Int64(keyCount))
                for i in 0..<queryCount {
                    let row = rows + i * keyCount
                    if let keyBias { addInPlace(row, keyBias, count: keyCount) }
                    applyMask(mask, row: row, query: i, keyCount: keyCount)
                    softmaxInPlace(row, count: keyCount)
                }
                vlm_attention_values(rows, Int64(keyCount), Int64(queryCount), v + g * d, Int64(kvStride),
                                     Int64(keyCount), Int64(d), output + h * d, Int64(outputStride))
            }
        }
        return
    }
    guard let probabilities else {
        blockedAttention(shape: shape, queries: q, queryStride: queryStride, queryCount: queryCount,
                         keys: k, values: v, kvStride: kvStride, keyCount: keyCount, mask: mask, keyBias: keyBias,
                         output: output, outputStride: outputStride, scratch: scores)
        return
    }
    // An observed layer (VisionZip reads each head's whole probability matrix): head by head
    // through OpenBLAS, the matrix kept until the observer has seen it.
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
        probabilities(h, scores)
        BLAS.gemm(m: queryCount, n: d, k: keyCount,
                  a: scores, lda: keyCount,
                  b: v + g * d, ldb: kvStride,
                  c: output + h * d, ldc: outputStride)
    }
}

/// Prefill and vision towers: every (head, block of queries) is one task for one thread, with
/// register-tiled kernels for Q Kᵀ and P V (CKernels' attention.c). Products this thin (k or n
/// equal to the head dimension) ran at a fraction of the GEMM rate through OpenBLAS, one head at
/// a time. Each K/V head's keys are packed once; each thread keeps its block's scores in its own
/// slice of `scratch`, and keys that no query of a causal block may see are skipped.
private func blockedAttention(
    shape: AttentionShape,
    queries q: UnsafePointer<Float>, queryStride: Int, queryCount: Int,
    keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, kvStride: Int, keyCount: Int,
    mask: AttentionMask, keyBias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, outputStride: Int,
    scratch: UnsafeMutablePointer<Float>
) {
    let d = shape.headDim, group = shape.heads / shape.kvHeads
    let packedSize = Int(vlm_f32_panel_elements(Int64(keyCount), Int64(d)))
    let packedKeys = scratch, slices = scratch + shape.kvHeads * packedSize
    let keysBox = UnsafeSendable((k, packedKeys))
    Parallel.forRanges(shape.kvHeads) { heads in
        let (k, packedKeys) = keysBox.value
        for g in heads {
            vlm_f32_pack(k + g * d, Int64(kvStride), Int64(keyCount), Int64(d), packedKeys + g * packedSize)
        }
    }

    let blockRows = min(queryCount, attentionBlockRows)
    let blocks = (queryCount + blockRows - 1) / blockRows, tasks = shape.heads * blocks
    let parts = min(Parallel.threads, tasks)
    let box = UnsafeSendable((q, v, output, keyBias, mask, packedKeys, slices))
    Parallel.forParts(parts) { part in
        let (q, v, output, keyBias, mask, packedKeys, slices) = box.value
        // The thread's slice: the block's scores, then its queries copied together. Rows of a
        // tower's queries lie 4 KB apart and would all fall in one L1 set.
        let scores = slices + part * blockRows * (keyCount + d), queries = scores + blockRows * keyCount
        for task in stride(from: part, to: tasks, by: parts) {
            let h = task / blocks, g = h / group
            let first = (task % blocks) * blockRows, rows = min(blockRows, queryCount - first)
            let visible = visibleKeys(mask, queries: first..<(first + rows), keyCount: keyCount)
            let out = output + first * outputStride + h * d
            for i in 0..<rows { (queries + i * d).update(from: q + (first + i) * queryStride + h * d, count: d) }
            vlm_attention_scores(queries, Int64(d), Int64(rows),
                                 packedKeys + g * packedSize, Int64(visible), Int64(d), shape.scale,
                                 scores, Int64(visible))
            for i in 0..<rows {
                let row = scores + i * visible
                if let keyBias { addInPlace(row, keyBias, count: visible) }
                applyMask(mask, row: row, query: first + i, keyCount: visible)
                softmaxInPlace(row, count: visible)
            }
            vlm_attention_values(scores, Int64(visible), Int64(rows), v + g * d, Int64(kvStride), Int64(visible),
                                 Int64(d), out, Int64(outputStride))
        }
    }
}

/// Queries per task of the blocked path: 64 rows of scores for 600 keys (150 KB) stay in L2.
let attentionBlockRows = 64

/// Floats of `scores` scratch that `attention` needs for these sizes.
public func attentionScratchCount(shape: AttentionShape, queryCount: Int, keyCount: Int) -> Int {
    if queryCount <= attentionDirectQueries { return shape.heads * queryCount * keyCount }
    let packedKeys = shape.kvHeads * Int(vlm_f32_panel_elements(Int64(keyCount), Int64(shape.headDim)))
    let blocked = packedKeys + Parallel.threads * min(queryCount, attentionBlockRows) * (keyCount + shape.headDim)
    return max(blocked, queryCount * keyCount)  // an observed layer keeps one head's whole matrix
}

/// How many leading keys a block of queries may see at all: keys after the last one visible to
/// the block's latest query are masked for every query of the block.
func visibleKeys(_ mask: AttentionMask, queries: Range<Int>, keyCount: Int) -> Int {
    let queryPositions: UnsafePointer<Int32>, keyPositions: UnsafePointer<Int32>
    switch mask {
    case .none: return keyCount
    case let .causal(qp, kp): (queryPositions, keyPositions) = (qp, kp)
    case let .causalGroups(qp, kp, _, _, _): (queryPositions, keyPositions) = (qp, kp)
    }
    var latest = Int32.min
    for i in queries { latest = max(latest, queryPositions[i]) }
    var count = keyCount
    while count > 0 && keyPositions[count - 1] > latest { count -= 1 }
    return count
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
