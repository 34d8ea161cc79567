import ArgumentParser
import Engine
import Foundation
import Tensor

extension WeightPrecision: ExpressibleByArgument {}

/// Options every model command shares.
struct ModelOptions: ParsableArguments {
    /// The checkpoint `scripts/setup.sh` builds, used by `vlm ask` without --model.
    static let demoModel = "weights/llava-smollm2-demo"

    @Option(name: .long, help: "Checkpoint directory (HuggingFace layout).")
    var model: String?

    @Option(name: .long, help: "Threads for matrix products and kernels (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("weights"), help: "Weights in memory: stored (as the checkpoint has them), bf16 or f32.")
    var weightPrecision: WeightPrecision = .asStored

    @Option(name: .long, help: "The CLIP checkpoint directory of an original-LLaVA-layout checkpoint (its mm_vision_tower).")
    var visionTower: String?

    /// Loads the checkpoint these options name.
    func load(fallback: String?) throws -> VisionLanguageModel {
        try VisionLanguageModel(directory: try resolvedModel(fallback: fallback), precision: weightPrecision, visionTower: visionTower)
    }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The checkpoint to load: --model, else $VLM_MODEL, else `fallback` under the current
    /// directory or next to the repository the executable was built in.
    func resolvedModel(fallback: String?) throws -> String {
        if let model { return model }
        if let environment = ProcessInfo.processInfo.environment["VLM_MODEL"] { return environment }
        guard let fallback else { throw ValidationError("--model is required") }
        if FileManager.default.fileExists(atPath: fallback) { return fallback }
        // Next to the repository the executable was built in (.build/<triple>/<config>/vlm).
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(fallback).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw ValidationError("no model at \(fallback): run scripts/setup.sh to build it, or pass --model DIR")
    }

    func applyThreads() {
        Runtime.configure(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// How the next token is chosen.
struct SamplingOptions: ParsableArguments {
    @Option(name: .long, help: "Most tokens to generate.")
    var maxTokens = 256

    @Option(name: .long, help: "Sampling temperature; 0 is greedy decoding.")
    var temperature: Float = 0

    @Option(name: .long, help: "Sample among the k most likely tokens (0: all).")
    var topK = 0

    @Option(name: .long, help: "Sample among the most likely tokens whose probabilities sum to p.")
    var topP: Float = 1

    @Option(name: .long, help: "Random seed for sampling.")
    var seed: UInt64 = 0

    var parameters: SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed)
    }

    func validate() throws {
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        try parameters.validate()
    }
}

/// What is printed.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Use the prompt verbatim instead of applying the chat template.")
    var raw = false

    @Flag(name: .long, help: "Print one JSON object (text, tokens, counts, timings) instead of streaming.")
    var json = false

    @Flag(name: .long, help: "After the streamed answer, print timings and token counts to stderr.")
    var stats = false
}
