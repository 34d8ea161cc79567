import Engine
import Foundation
import LLM
import Tensor
import Testing
import TestSupport

/// Several sequences decoded in one pass (one row each, every weight read once for all) give
/// each sequence the logits it gets decoded alone, and the reference prompt among them still
/// yields transformers' greedy ids.
struct BatchedDecodingTests {
    @Test(arguments: FixtureDirectory.all(under: "Tests/LLMTests/Fixtures"))
    func batchedStepsEqualSingleSteps(_ fixture: FixtureDirectory) throws {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.path + "/reference.json"))) as! [String: Any]
        let model = try Checkpoint(directory: fixture.path).languageModel()
        let config = model.config
        let expectedIds = reference["generated_ids"] as! [Int]
        // The reference prompt, and two others of other lengths (so the caches differ in length).
        let prompts = [reference["prompt_ids"] as! [Int], [5, 9, 2], (0..<13).map { ($0 * 29 + 3) % config.vocabSize }]
        let steps = min(expectedIds.count, 12)

        func prefilled(_ prompt: [Int]) throws -> (KVCache, [Float]) {
            let embeddings = Matrix(rows: prompt.count, cols: config.hiddenSize)
            try model.embed(prompt, into: embeddings.data)
            let cache = KVCache(config: config, capacity: prompt.count + steps)
            let logits = try model.forward(embeddings: embeddings.data, rows: prompt.count,
                                           positions: (0..<prompt.count).map(Int32.init), cache: cache)
            return (cache, logits)
        }
        // The reference ran with min_new_tokens covering every step: end-of-sequence ids masked.
        let endOfSequence = Set(reference["eos_token_ids"] as! [Int])
        func greedy(_ logits: [Float]) -> Int {
            logits.indices.filter { !endOfSequence.contains($0) }.max { logits[$0] < logits[$1] }!
        }

        let alone = try prompts.map(prefilled), together = try prompts.map(prefilled)
        var aloneLogits = alone.map(\.1), togetherLogits = together.map(\.1)
        var referenceIds: [Int] = []
        for step in 0..<steps {
            // Each sequence feeds back its own greedy token.
            let tokens = aloneLogits.map(greedy)
            #expect(togetherLogits.map(greedy) == tokens, "\(fixture) step \(step): greedy tokens")
            referenceIds.append(tokens[0])
            for s in prompts.indices { try model.decode(token: tokens[s], cache: alone[s].0, logits: &aloneLogits[s]) }
            togetherLogits = try model.decode(tokens: tokens, caches: together.map(\.0))
            for s in prompts.indices {
                let (difference, bound) = maxAbsDifference(togetherLogits[s], aloneLogits[s])
                #expect(difference <= bound, "\(fixture) step \(step) sequence \(s): batched differs by \(difference)")
                #expect(together[s].0.count == alone[s].0.count && together[s].0.nextPosition == alone[s].0.nextPosition)
            }
        }
        #expect(referenceIds == Array(expectedIds.prefix(steps)), "\(fixture): greedy ids against transformers")
    }
}
