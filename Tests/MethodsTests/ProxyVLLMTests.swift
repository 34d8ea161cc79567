import Foundation
import LLM
import Tensor
import Testing
import TestSupport

/// Family F3 of ../shared/reference: a tiny LLaVA-Llama with ProxyV layers, prefill and decode,
/// against the authors' code. The reference packs [image ; newline ; text]; the engine keeps the
/// natural order, so rows are compared by their position ids.
struct ProxyVLLMTests {
    @Test func referenceCasesExist() throws {
        #expect(try ReferenceCase.caseNames("proxyv_llm").count >= 2, "expected proxyv_llm cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: ReferenceCase.cases("proxyv_llm"))
    func matchesReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let config = try textConfig(reference)
        let store = try reference.weights()
        let weights = WeightSource(store: store)
        let modules = try ProxyVModules(config: config, weights: weights, startLayer: try reference.int("proxyv_start_layer", in: "config"),
                                        reduceFactor: try reference.int("proxyv_reduce_factor", in: "config"),
                                        tokensPerCrop: try reference.int("per_crop_token_len", in: "config"))
        let model = try LanguageModel(config: config, weights: weights, head: WeightSource(store: store, prefix: "lm_head."), proxyV: modules)

        // Natural order: [text before ; image ; newline ; text after], positions 0…L−1.
        let ids = try reference.ints("input_ids")
        let placeholder = try #require(ids.firstIndex(of: -200))
        let image = try reference.matrix("image_features")
        let d = config.hiddenSize
        let length = ids.count - 1 + image.rows + 1
        let embeddings = Matrix(rows: length, cols: d)
        try model.embed(ids[..<placeholder], into: embeddings.data)
        (embeddings.row(placeholder)).update(from: image.data, count: image.rows * d)
        embeddings.copyRow(placeholder + image.rows, from: modules.imageNewline)
        try model.embed(ids[(placeholder + 1)...], into: embeddings.row(placeholder + image.rows + 1))
        let positions = (0..<length).map(Int32.init)
        #expect(try reference.int("L_packed") == length)

        let decodeIds = try reference.ints("decode_token_ids")
        let cache = KVCache(config: config, capacity: length + decodeIds.count)
        let everyRow = Matrix(rows: length, cols: config.vocabSize)
        let last = try model.forward(embeddings: embeddings.data, rows: length, positions: positions, cache: cache,
                                     imageCrops: [placeholder], everyRow: everyRow)
        expectClose(last, try reference.floats("logits_last"), "\(reference) logits_last")

        // Packed row i has position packed[i]; ours is row packed[i].
        let packed = try reference.ints("packed.position_ids")
        expectClose(packed.flatMap { Array(UnsafeBufferPointer(start: everyRow.row($0), count: config.vocabSize)) },
              try reference.floats("logits"), "\(reference) logits")
        #expect(cache.count == length, "\(reference): proxies must leave the cache after prefill")
        for layer in 0..<config.layerCount {
            for (name, matrix) in [("key", cache.keys[layer]), ("value", cache.values[layer])] {
                let reordered = Matrix(rows: length, cols: config.kvDim)
                for (i, p) in packed.enumerated() { reordered.copyRow(i, from: matrix.row(p)) }
                expectClose(headMajor(reordered, rows: length, heads: config.kvHeadCount, dim: config.headDim),
                      try reference.floats("cache.\(layer).\(name)"), "\(reference) cache.\(layer).\(name)")
            }
        }

        let embedding = Matrix(rows: 1, cols: d)
        for (step, id) in decodeIds.enumerated() {
            try model.embed([id], into: embedding.data)
            let logits = try model.forward(embeddings: embedding.data, rows: 1, positions: [cache.nextPosition], cache: cache)
            expectClose(logits, try reference.floats("decode\(step).logits"), "\(reference) decode\(step).logits")
        }
    }

}
