import Foundation
import LLM
import Tensor
import Testing
import TestSupport

/// Family D of ../shared/reference: DyMU's virtual token unmerging in a tiny Llama (fast path),
/// prefill and decode, against DyMU's code.
struct VTUTests {
    static let cases = ReferenceCase.cases("vtu_llama")

    @Test func referenceCasesExist() throws {
        #expect(try ReferenceCase.caseNames("vtu_llama").count >= 3, "expected vtu_llama cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: cases)
    func matchesReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let config = try textConfig(reference)
        let store = try reference.weights()
        let model = try LanguageModel(config: config, weights: WeightSource(store: store), head: WeightSource(store: store, prefix: "lm_head."))
        let compressed = try reference.matrix("compressed_embeds")
        let virtualRows = try reference.ints("mapping_indices").map(Int32.init)
        let n = compressed.rows, virtualLength = virtualRows.count
        let decodeIds = try reference.ints("decode_token_ids")
        let cache = KVCache(config: config, capacity: virtualLength + decodeIds.count)

        var hidden: [Int: [Float]] = [:]
        let everyRow = Matrix(rows: n, cols: config.vocabSize)
        let last = try model.forward(embeddings: compressed.data, rows: n, positions: (0..<virtualLength).map(Int32.init),
                                     cache: cache, virtualRows: virtualRows, everyRow: everyRow) { layer, x, rows in
            hidden[layer] = x.toArray(rows: rows)
        }
        expectClose(last, try reference.floats("vtu.logits_last"), "\(reference) vtu.logits_last")
        expectClose(everyRow.toArray(), try reference.floats("vtu.logits"), "\(reference) vtu.logits")
        for layer in 0..<config.layerCount {
            expectClose(hidden[layer] ?? [], try reference.floats("vtu.hidden_states.\(layer)"), "\(reference) vtu.hidden_states.\(layer)")
        }
        expectClose(hidden[config.layerCount] ?? [], try reference.floats("vtu.last_hidden"), "\(reference) vtu.last_hidden")

        // The cache holds the expanded virtual rows, keys after RoPE; the reference is [1, Hkv, N, d].
        #expect(cache.count == virtualLength)
        for layer in 0..<config.layerCount {
            for (name, matrix) in [("key", cache.keys[layer]), ("value", cache.values[layer])] {
                expectClose(headMajor(matrix, rows: virtualLength, heads: config.kvHeadCount, dim: config.headDim),
                      try reference.floats("vtu.cache.\(layer).\(name)"), "\(reference) vtu.cache.\(layer).\(name)")
            }
        }

        // Decode continues at the virtual length.
        let embedding = Matrix(rows: 1, cols: config.hiddenSize)
        for (step, id) in decodeIds.enumerated() {
            try model.embed([id], into: embedding.data)
            #expect(cache.nextPosition == Int32(virtualLength + step))
            let logits = try model.forward(embeddings: embedding.data, rows: 1, positions: [cache.nextPosition], cache: cache)
            expectClose(logits, try reference.floats("vtu.decode\(step).logits"), "\(reference) vtu.decode\(step).logits")
        }
    }

    /// The identity grouping makes VTU the plain model: compare with the baseline on the expanded sequence.
    @Test func identityGroupingEqualsPlainModel() throws {
        let reference = try #require(Self.cases.first { $0.name == "vtu_identity_mapping" }, "vtu_identity_mapping case").open()
        let config = try textConfig(reference)
        let store = try reference.weights()
        let model = try LanguageModel(config: config, weights: WeightSource(store: store), head: WeightSource(store: store, prefix: "lm_head."))
        let expanded = try reference.matrix("expanded_embeds")
        let cache = KVCache(config: config, capacity: expanded.rows)
        let plain = try model.forward(embeddings: expanded.data, rows: expanded.rows,
                                      positions: (0..<expanded.rows).map(Int32.init), cache: cache)
        expectClose(plain, try reference.floats("baseline.logits_last"), "\(reference) baseline.logits_last")

        // Our VTU with every group of size one, against our plain forward.
        let identity = (0..<expanded.rows).map(Int32.init)
        let vtuCache = KVCache(config: config, capacity: expanded.rows)
        let vtu = try model.forward(embeddings: expanded.data, rows: expanded.rows, positions: identity,
                                    cache: vtuCache, virtualRows: identity)
        let (difference, _) = maxAbsDifference(vtu, plain)
        #expect(difference <= 1e-5, "VTU with singleton groups differs from the plain model by \(difference)")
    }

}

/// Rows [N, heads·d] rearranged to the reference's [heads, N, d].
func headMajor(_ m: Matrix, rows: Int, heads: Int, dim: Int) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(rows * heads * dim)
    for h in 0..<heads { for r in 0..<rows { out += UnsafeBufferPointer(start: m.row(r) + h * dim, count: dim) } }
    return out
}

/// A tiny Llama's TextConfig from the case's `config` object (HF field names).
func textConfig(_ reference: ReferenceCase) throws -> TextConfig {
    try reference.decode(TextConfig.self, "config")
}
