import Engine
import Foundation
import LLM
import Tensor
import Testing
import TestSupport

/// Tiny random LLaMA / Qwen2 checkpoints made by scripts/make_llm_refs.py, against transformers:
/// logits of every prompt position, every layer's input, the next step's logits, 32 greedy tokens,
/// and the cache invariant (prefill then decode equals one full forward).
struct TinyDecoderParityTests {
    typealias Fixture = FixtureDirectory
    static let fixtures = FixtureDirectory.all(under: "Tests/LLMTests/Fixtures")

    @Test func fixturesExist() {
        #expect(Self.fixtures.count >= 3, "expected tiny decoder fixtures (scripts/make_llm_refs.py)")
    }

    @Test(arguments: fixtures)
    func matchesTransformers(_ fixture: Fixture) throws {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.path + "/reference.json"))) as! [String: Any]
        let tensors = try TensorStore(files: [fixture.path + "/reference.safetensors"], label: fixture.description)
        let checkpoint = try Checkpoint(directory: fixture.path)
        let model = try checkpoint.languageModel()
        let config = checkpoint.textConfig
        let prompt = reference["prompt_ids"] as! [Int]
        let expectedIds = reference["generated_ids"] as! [Int]
        let n = prompt.count

        // Full forward over the prompt: logits of every position and every layer's input.
        let embeddings = Matrix(rows: n, cols: config.hiddenSize)
        try model.embed(prompt, into: embeddings.data)
        let cache = KVCache(config: config, capacity: n + expectedIds.count)
        let everyRow = Matrix(rows: n, cols: config.vocabSize)
        var hidden: [Int: [Float]] = [:]
        _ = try model.forward(embeddings: embeddings.data, rows: n, positions: (0..<n).map(Int32.init), cache: cache,
                              everyRow: everyRow) { layer, x, rows in hidden[layer] = x.toArray(rows: rows) }
        try expectClose(everyRow.toArray(), tensors.vector("logits", count: n * config.vocabSize), "\(fixture) logits")
        for layer in 0..<config.layerCount {
            try expectClose(hidden[layer] ?? [], tensors.vector("hidden_states.\(layer)", count: n * config.hiddenSize), "\(fixture) hidden_states.\(layer)")
        }
        try expectClose(hidden[config.layerCount] ?? [], tensors.vector("normed_hidden", count: n * config.hiddenSize), "\(fixture) normed_hidden")

        // The next step through the cache.
        let step = Matrix(rows: 1, cols: config.hiddenSize)
        try model.embed([expectedIds[0]], into: step.data)
        let stepLogits = try model.forward(embeddings: step.data, rows: 1, positions: [Int32(n)], cache: cache)
        try expectClose(stepLogits, tensors.vector("logits_step1", count: config.vocabSize), "\(fixture) logits_step1")

        // Greedy generation with min_new_tokens = max_new_tokens, as the reference ran it.
        var timings = Timings()
        let input = PreparedInput(embeddings: embeddings, positions: (0..<n).map(Int32.init))
        let eos = Set(reference["eos_token_ids"] as! [Int])
        let generated = try Generator(model: model, endOfSequence: eos).generate(
            input, maxNewTokens: expectedIds.count, minNewTokens: reference["min_new_tokens"] as! Int,
            sampling: SamplingParameters(), timings: &timings)
        #expect(generated.tokens == expectedIds, "\(fixture): greedy ids")
    }

    /// Prefill then one-token decode steps give the logits of one full forward over the same tokens.
    @Test(arguments: fixtures)
    func cachedDecodingEqualsFullForward(_ fixture: Fixture) throws {
        let checkpoint = try Checkpoint(directory: fixture.path)
        let model = try checkpoint.languageModel()
        let config = checkpoint.textConfig
        let tokens = Array((0..<20).map { ($0 * 37 + 11) % config.vocabSize })
        let all = Matrix(rows: tokens.count, cols: config.hiddenSize)
        try model.embed(tokens, into: all.data)
        let full = Matrix(rows: tokens.count, cols: config.vocabSize)
        _ = try model.forward(embeddings: all.data, rows: tokens.count, positions: (0..<tokens.count).map(Int32.init),
                              cache: KVCache(config: config, capacity: tokens.count), everyRow: full)

        let cache = KVCache(config: config, capacity: tokens.count)
        let prefill = 7
        var logits = try model.forward(embeddings: all.data, rows: prefill, positions: (0..<prefill).map(Int32.init), cache: cache)
        for t in prefill..<tokens.count {
            let expected = Array(UnsafeBufferPointer(start: full.row(t - 1), count: config.vocabSize))
            let (difference, bound) = maxAbsDifference(logits, expected)
            #expect(difference <= bound, "\(fixture): step \(t) differs from the full forward by \(difference)")
            logits = try model.forward(embeddings: all.row(t), rows: 1, positions: [Int32(t)], cache: cache)
        }
    }

}
