import Foundation
import Tensor
import Testing

/// `attention` against a direct Float64 evaluation of softmax(scale · Q Kᵀ + bias + mask) V, for
/// head sizes that are and are not multiples of the vector width, grouped-query heads, several
/// query blocks, a causal mask over a cache that already holds earlier keys, and the observed path.
struct AttentionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let heads: Int, kvHeads: Int, headDim: Int, queries: Int, earlierKeys: Int, causal: Bool, bias: Bool
        var testDescription: String {
            "\(heads)/\(kvHeads) heads of \(headDim), \(queries) queries after \(earlierKeys) keys\(causal ? ", causal" : "")\(bias ? ", key bias" : "")"
        }
    }

    static let cases: [Case] = [
        Case(heads: 2, kvHeads: 2, headDim: 64, queries: 1, earlierKeys: 9, causal: true, bias: false),    // decode path
        Case(heads: 4, kvHeads: 4, headDim: 64, queries: 130, earlierKeys: 0, causal: false, bias: true),  // tower: 3 blocks
        Case(heads: 3, kvHeads: 3, headDim: 72, queries: 13, earlierKeys: 0, causal: false, bias: false),  // SigLIP's 72
        Case(heads: 6, kvHeads: 2, headDim: 20, queries: 70, earlierKeys: 0, causal: true, bias: false),   // GQA, masked tail
        Case(heads: 4, kvHeads: 1, headDim: 130, queries: 29, earlierKeys: 37, causal: true, bias: false), // d > 128, later chunk
        Case(heads: 2, kvHeads: 2, headDim: 8, queries: 3, earlierKeys: 5, causal: true, bias: true),
    ]

    @Test(arguments: cases)
    func matchesDirectEvaluation(_ c: Case) {
        let (q, k, v, bias, queryPositions, keyPositions) = inputs(c)
        let shape = AttentionShape(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
        let keys = c.earlierKeys + c.queries
        let output = [Float](unsafeUninitializedCapacity: c.queries * c.heads * c.headDim) { buffer, count in
            let scratch = UnsafeMutablePointer<Float>.allocate(
                capacity: attentionScratchCount(shape: shape, queryCount: c.queries, keyCount: keys))
            defer { scratch.deallocate() }
            queryPositions.withUnsafeBufferPointer { qp in
                keyPositions.withUnsafeBufferPointer { kp in
                    attention(shape: shape, queries: q, queryStride: c.heads * c.headDim, queryCount: c.queries,
                              keys: k, values: v, kvStride: c.kvHeads * c.headDim, keyCount: keys,
                              mask: c.causal ? .causal(queryPositions: qp.baseAddress!, keyPositions: kp.baseAddress!) : .none,
                              keyBias: c.bias ? bias : nil,
                              output: buffer.baseAddress!, outputStride: c.heads * c.headDim, scores: scratch)
                }
            }
            count = c.queries * c.heads * c.headDim
        }
        let expected = direct(c, q, k, v, bias, queryPositions, keyPositions)
        let largest = zip(output, expected).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(largest < 1e-5, "largest difference \(largest)")
    }

    /// The observed path (VisionZip reads each head's probabilities) gives the same output and
    /// shows rows that sum to one.
    @Test func observedPathMatches() {
        let c = Case(heads: 3, kvHeads: 3, headDim: 64, queries: 40, earlierKeys: 0, causal: false, bias: true)
        let (q, k, v, bias, qp, kp) = inputs(c)
        let shape = AttentionShape(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
        var observedHeads: [Int] = [], rowSums: [Float] = []
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: attentionScratchCount(shape: shape, queryCount: 40, keyCount: 40))
        defer { scratch.deallocate() }
        let output = [Float](unsafeUninitializedCapacity: 40 * 3 * 64) { buffer, count in
            attention(shape: shape, queries: q, queryStride: 192, queryCount: 40, keys: k, values: v, kvStride: 192,
                      keyCount: 40, mask: .none, keyBias: bias, output: buffer.baseAddress!, outputStride: 192,
                      scores: scratch, probabilities: { head, p in
                          observedHeads.append(head)
                          rowSums.append((0..<40).reduce(0) { $0 + p[5 * 40 + $1] })
                      })
            count = 40 * 3 * 64
        }
        let expected = direct(c, q, k, v, bias, qp, kp)
        let largest = zip(output, expected).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(largest < 1e-5)
        #expect(observedHeads == [0, 1, 2])
        #expect(rowSums.allSatisfy { abs($0 - 1) < 1e-5 })
    }

    // MARK: - Inputs and the direct evaluation

    private func inputs(_ c: Case) -> ([Float], [Float], [Float], [Float], [Int32], [Int32]) {
        var state = UInt64(0x243F_6A88_85A3_08D3) &+ UInt64(c.headDim * 131 + c.queries)
        func next() -> Float {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int(state % 2001) - 1000) / 1000
        }
        let keys = c.earlierKeys + c.queries
        let q = (0..<(c.queries * c.heads * c.headDim)).map { _ in next() }
        let k = (0..<(keys * c.kvHeads * c.headDim)).map { _ in next() }
        let v = (0..<(keys * c.kvHeads * c.headDim)).map { _ in next() }
        let bias = (0..<keys).map { _ in next() }
        let keyPositions = (0..<keys).map { Int32($0) }
        let queryPositions = (0..<c.queries).map { Int32(c.earlierKeys + $0) }
        return (q, k, v, bias, queryPositions, keyPositions)
    }

    private func direct(_ c: Case, _ q: [Float], _ k: [Float], _ v: [Float], _ bias: [Float],
                        _ queryPositions: [Int32], _ keyPositions: [Int32]) -> [Double] {
        let keys = c.earlierKeys + c.queries, d = c.headDim, group = c.heads / c.kvHeads
        let scale = 1 / Double(d).squareRoot()
        var output = [Double](repeating: 0, count: c.queries * c.heads * d)
        for h in 0..<c.heads {
            let g = h / group
            for i in 0..<c.queries {
                var logits = [Double](repeating: -.infinity, count: keys)
                for j in 0..<keys where !c.causal || keyPositions[j] <= queryPositions[i] {
                    var sum = 0.0
                    for t in 0..<d { sum += Double(q[(i * c.heads + h) * d + t]) * Double(k[(j * c.kvHeads + g) * d + t]) }
                    logits[j] = sum * scale + (c.bias ? Double(bias[j]) : 0)
                }
                let largest = logits.max()!
                let weights = logits.map { exp($0 - largest) }
                let total = weights.reduce(0, +)
                for j in 0..<keys where weights[j] > 0 {
                    for t in 0..<d { output[(i * c.heads + h) * d + t] += weights[j] / total * Double(v[(j * c.kvHeads + g) * d + t]) }
                }
            }
        }
        return output
    }
}
