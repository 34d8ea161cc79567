import LLM
import Tensor

/// The LLM input of one request: rows of embeddings (token embeddings with image features
/// spliced in) and their RoPE positions.
public struct PreparedInput {
    public let embeddings: Matrix  // [rows, D]
    /// One position per row, or with `expansion` one per virtual row.
    public let positions: [Int32]
    /// VTU: the row each virtual position belongs to (see LanguageModel.forward).
    public let expansion: [Int32]?
    /// ProxyV: the first row of each image crop.
    public let proxyCrops: [Int]?
    public var rows: Int { embeddings.rows }

    public init(embeddings: Matrix, positions: [Int32], expansion: [Int32]? = nil, proxyCrops: [Int]? = nil) {
        precondition(expansion != nil ? expansion!.count == positions.count : embeddings.rows == positions.count,
                     "one position per row (or per virtual row)")
        self.embeddings = embeddings
        self.positions = positions
        self.expansion = expansion
        self.proxyCrops = proxyCrops
    }

    /// Cache rows the prefill fills: the virtual length with VTU.
    public var cacheRows: Int { positions.count }
}

public enum StopReason: String, Sendable, Codable {
    case endOfSequence = "eos", maxTokens = "max_tokens", stoppedByCaller = "stopped"
}

/// Prefill then decode, one token at a time, with a KV cache sized once for the whole request.
public struct Generator {
    public let model: LanguageModel
    public let endOfSequence: Set<Int>

    public init(model: LanguageModel, endOfSequence: Set<Int>) {
        self.model = model
        self.endOfSequence = endOfSequence
    }

    /// Generates up to `maxNewTokens` tokens after `input`. `onToken` sees each new id as it is
    /// chosen (end-of-sequence ids are not passed on) and may return false to stop. Until
    /// `minNewTokens` tokens exist, end-of-sequence ids are masked out of the logits
    /// (transformers' MinNewTokensLengthLogitsProcessor).
    public func generate(
        _ input: PreparedInput, maxNewTokens: Int, minNewTokens: Int = 0, sampling: SamplingParameters,
        timings: inout Timings, onToken: (Int) -> Bool = { _ in true }
    ) throws -> (tokens: [Int], stop: StopReason) {
        let context = model.config.maxPositions
        let highestPosition = Int(input.positions.max() ?? -1) + 1
        guard highestPosition <= context, input.cacheRows <= context else {
            throw EngineError.promptTooLong(tokens: max(highestPosition, input.cacheRows), context: context)
        }
        // Every generated token but the last is fed back, so the cache needs the prompt's rows plus
        // maxNewTokens − 1, and no more positions than the context holds. ProxyV's proxies use
        // rows past the prompt during prefill only.
        let steps = min(maxNewTokens, context - highestPosition + 1)
        let proxyRows = input.proxyCrops.map { $0.count * (model.proxyV?.proxiesPerCrop ?? 0) } ?? 0
        let cache = KVCache(config: model.config, capacity: input.cacheRows + max(steps - 1, proxyRows))
        var sampler = Sampler(sampling)
        timings.promptTokens = input.rows

        var logits = try measure(&timings.prefill) {
            if let crops = input.proxyCrops {
                return try model.forwardProxyV(embeddings: input.embeddings.data, rows: input.rows, positions: input.positions,
                                               crops: crops, cache: cache)
            }
            return try model.forward(embeddings: input.embeddings.data, rows: input.rows, positions: input.positions,
                                     cache: cache, expansion: input.expansion)
        }
        var tokens: [Int] = []
        var stop = StopReason.maxTokens
        var elapsed: Double = 0
        while tokens.count < steps {
            if tokens.count < minNewTokens { for id in endOfSequence where id < logits.count { logits[id] = -.infinity } }
            let next = sampler.next(logits)
            if endOfSequence.contains(next) { stop = .endOfSequence; break }
            tokens.append(next)
            if !onToken(next) { stop = .stoppedByCaller; break }
            if tokens.count == steps { break }
            timings.decodeSteps += 1
            try measure(&elapsed) { try model.decode(token: next, cache: cache, logits: &logits) }
        }
        timings.decode += elapsed
        timings.generatedTokens = tokens.count
        return (tokens, stop)
    }
}
