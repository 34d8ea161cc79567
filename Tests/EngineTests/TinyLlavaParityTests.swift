import ChatTemplate
@testable import Engine
import Foundation
import ImageProcessing
import LLM
import Tensor
import Testing
import TestSupport

/// Tiny random LLaVA checkpoints made by scripts/make_llava_refs.py (CLIP + LLaMA and SigLIP +
/// Qwen2, several key layouts and dtypes) against transformers' processor and model: prompt text,
/// input ids, pixel values, the projector input (selected vision features), the last position's
/// logits and greedy ids. (The vision hidden states and the projector output: ViTTests, ProjectorTests.)
struct TinyLlavaParityTests {
    typealias Fixture = FixtureDirectory

    static let fixtureRoot = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures").path
    static let photos = fixtureRoot + "/photos"

    static let fixtures = FixtureDirectory.all(under: "Tests/EngineTests/Fixtures")

    @Test func fixturesExist() {
        #expect(Self.fixtures.count >= 3, "expected tiny LLaVA fixtures (scripts/make_llava_refs.py)")
    }

    @Test(arguments: fixtures)
    func matchesTransformers(_ fixture: Fixture) throws {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.path + "/reference.json"))) as! [String: Any]
        let tensors = try TensorStore(files: [fixture.path + "/reference.safetensors"], label: fixture.description)
        let vlm = try VisionLanguageModel(directory: fixture.path)
        let encoder = try #require(vlm.imageEncoder)
        #expect(vlm.imageTokenId == reference["image_token_id"] as? Int)
        #expect(vlm.endOfSequence == Set(reference["eos_token_ids"] as! [Int]))

        for testCase in reference["cases"] as! [[String: Any]] {
            let name = "\(fixture)/\(testCase["name"] as! String)"
            let images = (testCase["images"] as! [String]).map { Self.photos + "/" + $0 }
            let prompt: Request.Prompt
            if testCase["kind"] as! String == "raw" {
                prompt = .raw(testCase["prompt"] as! String)
            } else {
                prompt = .messages(try ChatMessageJSON.parse(testCase["messages"] as! [[String: Any]]))
            }
            var request = Request(prompt: prompt, images: images, maxNewTokens: reference["max_new_tokens"] as! Int)

            // Prompt text and ids, with each image token expanded as transformers' processor does.
            let text = try vlm.promptText(request)
            #expect(text == testCase["prompt"] as! String, "\(name): prompt text")
            let ids = vlm.promptIds(text, request: request)
            let perImage = testCase["num_image_tokens_per_image"] as! Int
            let expanded = ids.flatMap { $0 == vlm.imageTokenId ? Array(repeating: $0, count: perImage) : [$0] }
            #expect(expanded == testCase["input_ids"] as! [Int], "\(name): input ids")

            // The pipeline's stages of every image: our preprocessing, and the feature selection
            // after our tower. The tower's hidden states and the projector are checked alone, from
            // transformers' inputs, in ViTTests and ProjectorTests.
            let vision = encoder.vision
            for (i, path) in images.enumerated() {
                let pixels = try vlm.imagePreprocessor!(ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path)))
                let imageSize = 3 * vision.imageSize * vision.imageSize
                try expectClose(pixels.data, row(tensors, "\(testCase["name"]!).pixel_values", i, imageSize), "\(name) image \(i) pixel_values", tolerance: 1e-5)
                let features = pixels.data.withUnsafeBufferPointer { encoder.features(pixels: $0.baseAddress!) }
                try expectClose(features.toArray(), row(tensors, "\(testCase["name"]!).image_features", i, features.count), "\(name) image \(i) image_features")
            }

            // First-step logits of the whole prompt, then greedy generation.
            var timings = Timings()
            let projected = try request.images.map {
                try vlm.encodeImage(vlm.decodeImage(.file($0)), reduction: .none, proxyV: false, timings: &timings)
            }
            let prepared = try vlm.prepareInput(ids: ids, images: projected, virtualUnmerging: false, proxyV: false)
            let cache = KVCache(config: vlm.languageModel.config, capacity: prepared.input.cacheRows)
            let logits = try vlm.languageModel.forward(embeddings: prepared.input.embeddings.data, rows: prepared.input.rows,
                                                       positions: prepared.input.positions, cache: cache)
            try expectClose(logits, tensors.vector("\(testCase["name"]!).logits_last", count: logits.count), "\(name) logits_last")
            request.sampling = SamplingParameters()
            let response = try vlm.run(request)
            let expected = testCase["greedy_ids"] as! [Int]
            let ours = response.stopReason == .endOfSequence ? response.tokens + [expected.last!] : response.tokens
            #expect(ours == expected, "\(name): greedy ids")
            #expect(response.visualTokens == perImage * images.count, "\(name): visual tokens")
        }
    }

    func row(_ tensors: TensorStore, _ name: String, _ index: Int, _ size: Int) throws -> [Float] {
        let all = try tensors.vector(name, count: tensors.shape(of: name)!.reduce(1, *))
        return Array(all[(index * size)..<((index + 1) * size)])
    }

}

enum ChatMessageJSON {
    /// Messages as the references store them: {"role", "content": string or [{"type", "text"?}]}.
    static func parse(_ messages: [[String: Any]]) throws -> [ChatMessage] {
        try messages.map { message in
            let role = message["role"] as! String
            if let text = message["content"] as? String { return ChatMessage(role: role, content: .text(text)) }
            let parts = try (message["content"] as! [[String: Any]]).map { part -> ChatMessage.Part in
                switch part["type"] as? String {
                case "image": return .image
                case "text": return .text(part["text"] as! String)
                default: throw SetupError("unknown content part \(part)")
                }
            }
            return ChatMessage(role: role, content: .parts(parts))
        }
    }
}
