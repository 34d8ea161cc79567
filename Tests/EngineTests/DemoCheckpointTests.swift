@testable import Engine
import ChatTemplate
import Foundation
import ImageProcessing
import Testing
import TestSupport

/// The demo checkpoint (real SmolLM2 + a seeded random CLIP ViT-L/14-336 tower, built by
/// scripts/build_demo_checkpoint.py) against transformers on the same files (scripts/make_demo_refs.py).
struct DemoCheckpointTests {
    static let directory = Repository.root.appendingPathComponent("weights/llava-smollm2-demo").path
    static let referencePath = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures/demo_reference.json").path

    static func reference() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: referencePath))) as! [String: Any]
    }

    static func model() throws -> VisionLanguageModel {
        guard FileManager.default.fileExists(atPath: directory + "/config.json") else {
            throw SetupError("no demo checkpoint at \(directory): run scripts/setup.sh first")
        }
        return try VisionLanguageModel(directory: directory)
    }

    /// Every machine builds the same bytes the references were made from.
    @Test func buildIsReproducible() throws {
        _ = try Self.model()
        for (file, expected) in try Self.reference()["files_sha256"] as! [String: String] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            process.arguments = [Self.directory + "/" + file]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(output.hasPrefix(expected), "\(file) differs from the file the references were made from")
        }
    }

    @Test func imageAnswerMatchesTransformers() throws {
        let vlm = try Self.model()
        let reference = try Self.reference()
        let image = reference["image_case"] as! [String: Any]
        let photo = Repository.root.appendingPathComponent(image["image"] as! String).path
        let messages = try ChatMessageJSON.parse(image["messages"] as! [[String: Any]])
        let request = Request(prompt: .messages(messages), images: [photo], maxNewTokens: reference["max_new_tokens"] as! Int)
        #expect(try vlm.promptText(request) == image["prompt"] as! String)

        // Stage statistics at the real shapes (576 patches × 1024 channels).
        let pixels = try vlm.imagePreprocessor!(ImageDecoder.decode(contentsOf: URL(fileURLWithPath: photo)))
        checkStatistics(pixels.data, image["pixel_values"] as! [String: Any], "pixel_values")
        let features = pixels.data.withUnsafeBufferPointer { vlm.imageEncoder!.features(pixels: $0.baseAddress!) }
        checkStatistics(features.toArray(), image["image_features"] as! [String: Any], "image_features")
        checkStatistics(vlm.imageEncoder!.project(features).toArray(), image["projected"] as! [String: Any], "projected")

        let response = try vlm.run(request)
        #expect(response.visualTokens == image["num_image_tokens"] as! Int)
        #expect(response.promptTokens == image["num_input_ids"] as! Int)
        #expect(response.tokens == image["greedy_ids"] as! [Int], "greedy ids")
        #expect(response.text == image["greedy_text"] as! String)
    }

    @Test func textOnlyAnswerMatchesTransformers() throws {
        let vlm = try Self.model()
        let text = try Self.reference()["text_only_case"] as! [String: Any]
        let response = try vlm.run(Request(prompt: .chat("What is the capital of France?"), maxNewTokens: 32))
        let expected = text["greedy_ids"] as! [Int]
        #expect(response.tokens + (response.stopReason == .endOfSequence ? [expected.last!] : []) == expected)
        #expect(response.text == text["greedy_text"] as! String)
    }

    func checkStatistics(_ values: [Float], _ expected: [String: Any], _ what: String) {
        let doubles = values.map(Double.init)
        let mean = doubles.reduce(0, +) / Double(doubles.count)
        let std = (doubles.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(doubles.count)).squareRoot()
        let scale = max(1, abs(expected["max"] as! Double), abs(expected["min"] as! Double))
        for (name, ours) in [("mean", mean), ("std", std), ("min", doubles.min()!), ("max", doubles.max()!)] {
            let theirs = expected[name] as! Double
            #expect(abs(ours - theirs) <= 1e-4 * scale, "\(what) \(name): \(ours) vs \(theirs)")
        }
    }
}
