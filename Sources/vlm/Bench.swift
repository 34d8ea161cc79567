import ArgumentParser
import Engine
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time each stage of a request against this machine's measured limits.",
        discussion: """
            Measures a large single-precision GEMM through the engine's BLAS and a streaming memory \
            read first, then runs the request once to warm up and --runs times. Reports each stage's \
            median and range, the FLOPs it performed (from the shapes), the GFLOP/s that makes and its \
            fraction of the GEMM limit; decode tokens/s and weight bytes read per token against the \
            memory-read limit; time to first token; peak resident memory.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var reduction: ReductionOptions

    @Option(name: .long, help: "Image to ask about (default: the committed demo photo; none for a text model).")
    var image: String?

    @Option(name: .long, help: "The question.")
    var prompt = "Describe this picture in detail."

    @Option(name: .long, help: "Timed runs after the warm-up.")
    var runs = 3

    @Option(name: .long, help: "Tokens to generate per run (end-of-sequence is ignored so every run decodes as many).")
    var maxTokens = 32

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    static let demoPhoto = "Tests/EngineTests/Fixtures/photos/chelsea_451x300.jpg"

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if maxTokens < 2 { throw ValidationError("--max-tokens must be at least 2 to time decoding") }
    }

    func run() throws {
        model.applyThreads()
        let vlm = try model.load(fallback: ModelOptions.demoModel)
        var images: [String] = []
        if vlm.isMultimodal {
            let path = image ?? Self.demoPhoto
            guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("image file \(path) does not exist") }
            images = [path]
        }
        let request = Request(prompt: .chat(prompt), images: images, maxNewTokens: maxTokens,
                              reduction: try reduction.method(), proxyV: !reduction.noProxyV, stopAtEndOfSequence: false)
        let benchmark = Benchmark(model: vlm, request: request, runs: runs, reductionName: reduction.summary,
                                  weightsName: model.weightPrecision.rawValue)
        let report = try benchmark.run { FileHandle.standardError.write(Data("bench: \($0)\n".utf8)) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(BenchTable(report).text)
        }
    }
}

/// The human-readable form of a benchmark report.
struct BenchTable {
    let report: Benchmark.Report
    init(_ report: Benchmark.Report) { self.report = report }

    var text: String {
        let r = report
        func f(_ value: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", value) }
        func pad(_ s: String, _ width: Int, right: Bool = true) -> String {
            s.count >= width ? s : right ? String(repeating: " ", count: width - s.count) + s : s + String(repeating: " ", count: width - s.count)
        }
        var lines = [
            "model   \(r.model)   weights \(r.weights)   reduction \(r.reduction)   \(r.runs) runs after a warm-up",
            "machine GEMM \(f(r.limits.gemmGFLOPs)) GFLOP/s (OpenBLAS \(r.limits.blasCore), \(r.limits.threads) threads), memory read \(f(r.limits.memoryReadGBs)) GB/s",
            "",
            pad("stage", 28, right: false) + pad("median ms", 11) + pad("range ms", 19) + pad("GFLOP", 9) + pad("GFLOP/s", 10) + pad("of limit", 10),
        ]
        for stage in r.stages {
            let range = "\(f(stage.milliseconds.min() ?? 0))–\(f(stage.milliseconds.max() ?? 0))"
            lines.append(pad(stage.name, 28, right: false) + pad(f(stage.median, stage.median < 10 ? 2 : 1), 11) + pad(range, 19)
                + pad(stage.flops.map { f($0 / 1e9, 2) } ?? "–", 9) + pad(stage.gflops.map { f($0) } ?? "–", 10)
                + pad(stage.fractionOfLimit.map { f($0 * 100, 0) + "%" } ?? "–", 10))
        }
        let ttft = r.timeToFirstTokenMilliseconds
        lines += [
            "",
            "time to first token   \(f(Benchmark.Stage.medianOf(ttft))) ms (range \(f(ttft.min() ?? 0))–\(f(ttft.max() ?? 0)))",
            "decode                \(f(r.decodeTokensPerSecond)) tokens/s, \(f(Double(r.decodeWeightBytesPerToken) / 1e6)) MB of weights per token = \(f(r.decodeGBs)) GB/s (\(f(r.decodeFractionOfMemoryLimit * 100, 0))% of the memory-read limit; the decode row's 'of limit')",
            "tokens                \(r.visualTokens) visual, \(r.promptTokens) prompt\(r.virtualPromptTokens.map { " (\($0) virtual)" } ?? ""), \(r.generatedTokens) generated",
            "peak resident memory  \(f(Double(r.peakResidentBytes) / 1e9, 2)) GB (weights \(f(Double(r.weightBytes) / 1e9, 2)) GB, KV cache \(f(Double(r.kvCacheBytes) / 1e6)) MB)",
        ]
        if let p = r.proxyV {
            lines.append("proxyv                layers \(p.layers.first ?? 0)–\(p.layers.last ?? 0), \(p.proxies) proxies, prefill FLOPs \(f(p.prefillFLOPs / 1e9, 2)) vs \(f(p.plainPrefillFLOPs / 1e9, 2)) plain (\(f(p.savedFraction * 100, 0))% saved)")
        }
        return lines.joined(separator: "\n")
    }
}
