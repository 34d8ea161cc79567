import Engine
import Foundation
import LLM
import Tensor
import Testing
import TestSupport

/// The real SmolLM2-135M-Instruct (converted by scripts/setup_smollm2.sh) against transformers'
/// greedy generation on the same converted checkpoint (scripts/make_smollm2_refs.py).
struct SmolLM2Tests {
    static let directory = Repository.root.appendingPathComponent("weights/smollm2-135m-instruct").path
    static let referencePath = Repository.root.appendingPathComponent("Tests/LLMTests/Fixtures/smollm2_reference.json").path

    static func reference() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: referencePath))) as! [String: Any]
    }

    static func checkpoint() throws -> Checkpoint {
        guard FileManager.default.fileExists(atPath: directory + "/model.safetensors") else {
            throw SetupError("no SmolLM2 at \(directory): run scripts/setup.sh first")
        }
        return try Checkpoint(directory: directory)
    }

    /// The converted weights are byte-identical to those the references were made from.
    @Test func conversionIsReproducible() throws {
        _ = try Self.checkpoint()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [Self.directory + "/model.safetensors"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected = try Self.reference()["model_safetensors_sha256"] as! String
        #expect(output.hasPrefix(expected), "model.safetensors differs from the one the references were made from")
    }

    /// The converted tokenizer gives transformers' prompt ids for every reference prompt.
    @Test func tokenizerMatchesTransformers() throws {
        _ = try Self.checkpoint()
        let tokenizer = try VisionLanguageModel.loadTokenizer(directory: Self.directory)
        for testCase in try Self.reference()["cases"] as! [[String: Any]] {
            let text = testCase["prompt_text"] as! String
            #expect(tokenizer.encode(text, addSpecialTokens: false) == testCase["prompt_ids"] as! [Int], "\(testCase["name"]!)")
            let generated = testCase["generated_ids"] as! [Int]
            #expect(tokenizer.decode(generated, skipSpecialTokens: true) == testCase["generated_text"] as! String, "\(testCase["name"]!) decode")
        }
    }

    @Test func greedyIdsMatchTransformers() throws {
        let checkpoint = try Self.checkpoint()
        let model = try checkpoint.languageModel()
        let reference = try Self.reference()
        let eos = Set(reference["eos_token_ids"] as! [Int])
        #expect(try checkpoint.endOfSequence() == eos)
        let cases = reference["cases"] as! [[String: Any]]
        #expect(cases.count >= 3)
        for testCase in cases {
            let name = testCase["name"] as! String
            let prompt = testCase["prompt_ids"] as! [Int]
            let expected = testCase["generated_ids"] as! [Int]
            let embeddings = Matrix(rows: prompt.count, cols: model.hiddenSize)
            try model.embed(prompt, into: embeddings.data)
            var timings = Timings()
            let (tokens, stop) = try Generator(model: model, endOfSequence: eos).generate(
                PreparedInput(embeddings: embeddings, positions: (0..<prompt.count).map(Int32.init)),
                maxNewTokens: reference["max_new_tokens"] as! Int, sampling: SamplingParameters(), timings: &timings)
            // transformers keeps the EOS it stopped at; the engine reports it as the stop reason.
            let ours = stop == .endOfSequence ? tokens + [expected.last!] : tokens
            #expect(ours == expected, "\(name): greedy ids")
        }
    }
}
