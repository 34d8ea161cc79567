import Foundation
import LLM
import Tensor

/// `vlm bench`: a warm-up, then N runs of one request, each stage's time (median and range), the
/// FLOPs it performed and the rate that makes, against this machine's limits measured in the same run.
public struct Benchmark {
    public struct Stage: Encodable {
        public let name: String
        public let milliseconds: [Double]
        public let flops: Double?
        /// Fraction of the in-run limit (GEMM for compute stages, memory read for decode).
        public let fractionOfLimit: Double?

        public var median: Double { Self.medianOf(milliseconds) }
        public var gflops: Double? { flops.map { $0 / (median / 1000) / 1e9 } }

        public static func medianOf(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }

        enum CodingKeys: String, CodingKey {
            case name, milliseconds, medianMilliseconds = "median_ms", minMilliseconds = "min_ms", maxMilliseconds = "max_ms"
            case flops, gflops = "gflop_per_s", fractionOfLimit = "fraction_of_limit"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(milliseconds, forKey: .milliseconds)
            try c.encode(median, forKey: .medianMilliseconds)
            try c.encode(milliseconds.min() ?? 0, forKey: .minMilliseconds)
            try c.encode(milliseconds.max() ?? 0, forKey: .maxMilliseconds)
            try c.encodeIfPresent(flops, forKey: .flops)
            try c.encodeIfPresent(gflops, forKey: .gflops)
            try c.encodeIfPresent(fractionOfLimit, forKey: .fractionOfLimit)
        }
    }

    public struct Report: Encodable {
        public let model: String
        public let image: String?
        public let reduction: String
        public let weights: String
        public let runs: Int
        public let limits: MachineLimits
        public let stages: [Stage]
        public let timeToFirstTokenMilliseconds: [Double]
        public let decodeTokensPerSecond: Double
        public let decodeWeightBytesPerToken: Int
        public let decodeGBs: Double
        public let decodeFractionOfMemoryLimit: Double
        public let visualTokens: Int
        public let promptTokens: Int
        public let virtualPromptTokens: Int?
        public let generatedTokens: Int
        public let peakResidentBytes: Int
        public let weightBytes: Int
        public let kvCacheBytes: Int
        public let proxyV: ProxyVReport?

        enum CodingKeys: String, CodingKey {
            case model, image, reduction, weights, runs, limits, stages
            case timeToFirstTokenMilliseconds = "time_to_first_token_ms"
            case decodeTokensPerSecond = "decode_tokens_per_s", decodeWeightBytesPerToken = "decode_weight_bytes_per_token"
            case decodeGBs = "decode_gb_per_s", decodeFractionOfMemoryLimit = "decode_fraction_of_memory_limit"
            case visualTokens = "visual_tokens", promptTokens = "prompt_tokens", virtualPromptTokens = "virtual_prompt_tokens"
            case generatedTokens = "generated_tokens", peakResidentBytes = "peak_resident_bytes"
            case weightBytes = "weight_bytes", kvCacheBytes = "kv_cache_bytes", proxyV = "proxyv"
        }
    }

    public let model: VisionLanguageModel
    public let request: Request
    public let runs: Int
    public let reductionName: String
    public let weightsName: String

    public init(model: VisionLanguageModel, request: Request, runs: Int, reductionName: String, weightsName: String) {
        self.model = model
        self.request = request
        self.runs = runs
        self.reductionName = reductionName
        self.weightsName = weightsName
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        progress("warm-up")
        _ = try model.run(request)
        var responses: [Response] = []
        for run in 1...runs {
            progress("run \(run)/\(runs)")
            responses.append(try model.run(request))
        }
        // Peak memory before the limits are measured: the memory-read test allocates its own buffer.
        let peakResident = peakResidentBytes()
        progress("measuring this machine's GEMM and memory-read limits")
        let limits = MachineLimits.measure()
        let last = responses.last!
        let text = model.languageModel.config
        let gemm = limits.gemmGFLOPs * 1e9

        func stage(_ name: String, _ time: (Timings) -> Double, flops: Double?) -> Stage {
            let times = responses.map { time($0.timings) }
            let median = Stage.medianOf(times)
            let fraction = flops.map { $0 / (median / 1000) / gemm }
            return Stage(name: name, milliseconds: times, flops: flops, fractionOfLimit: median > 0 ? fraction : nil)
        }

        var stages: [Stage] = []
        if let encoder = model.imageEncoder, !request.images.isEmpty {
            let blocks = encoder.tower.layers.count
            let towerFLOPs = (last.visionTokensPerLayer ?? [[]]).reduce(0.0) { total, counts in
                total + FLOPs.visionTower(encoder.vision, blocks: blocks, tokensAfter: counts.isEmpty ? nil : counts)
            } * (last.visionTokensPerLayer == nil ? Double(request.images.count) : 1)
            stages.append(stage("image decode + preprocess", \.imagePreprocess, flops: nil))
            stages.append(stage("vision tower", \.visionTower, flops: towerFLOPs))
            stages.append(stage("projector", \.projector, flops: FLOPs.projector(
                inputs: encoder.projector.linear1.inputs, outputs: encoder.projector.linear1.outputs, rows: last.visualTokens)))
        }
        let prefillFLOPs = last.proxyV?.prefillFLOPs
            ?? FLOPs.prefill(text, rows: last.promptTokens, virtualRows: last.virtualPromptTokens)
        stages.append(stage("prefill", \.prefill, flops: prefillFLOPs))

        // Decode: per-step time, its FLOPs at the mean cache length, and the bytes of weights read.
        let steps = responses.map { Double($0.timings.decodeSteps) }
        let perStep = zip(responses, steps).map { $1 > 0 ? $0.timings.decode / $1 : 0 }
        let cacheLength = (last.virtualPromptTokens ?? last.promptTokens) + last.timings.decodeSteps / 2
        let bytes = model.languageModel.decodeWeightBytes
        let stepMedian = Stage.medianOf(perStep)
        let gbs = stepMedian > 0 ? Double(bytes) / (stepMedian / 1000) / 1e9 : 0
        stages.append(Stage(name: "decode (per token)", milliseconds: perStep,
                            flops: FLOPs.decodeStep(text, cacheLength: cacheLength),
                            fractionOfLimit: stepMedian > 0 ? gbs / limits.memoryReadGBs : nil))

        let kvRows = (last.virtualPromptTokens ?? last.promptTokens) + last.tokens.count
        return Report(
            model: model.directory, image: request.images.first, reduction: reductionName, weights: weightsName,
            runs: runs, limits: limits, stages: stages,
            timeToFirstTokenMilliseconds: responses.map(\.timings.timeToFirstToken),
            decodeTokensPerSecond: stepMedian > 0 ? 1000 / stepMedian : 0,
            decodeWeightBytesPerToken: bytes, decodeGBs: gbs, decodeFractionOfMemoryLimit: gbs / limits.memoryReadGBs,
            visualTokens: last.visualTokens, promptTokens: last.promptTokens, virtualPromptTokens: last.virtualPromptTokens,
            generatedTokens: last.tokens.count, peakResidentBytes: peakResident,
            weightBytes: model.weightBytes, kvCacheBytes: kvRows * text.kvDim * 2 * 4 * text.layerCount,
            proxyV: last.proxyV)
    }
}
