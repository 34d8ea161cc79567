import LLM
import Tensor

/// The LLM input of one request: rows of embeddings (token embeddings with image features
/// spliced in) and their RoPE positions.
public struct PreparedInput {
    public let embeddings: Matrix  // [rows, D]
    /// One position per row, or with `virtualRows` one per virtual row.
    public let positions: [Int32]
    /// VTU: the row at each virtual position (see RowPlan.virtual).
    public let virtualRows: [Int32]?
    /// ProxyV: the first row of each image crop (empty without ProxyV).
    public let imageCrops: [Int]
    public var rows: Int { embeddings.rows }

    public init(embeddings: Matrix, positions: [Int32], virtualRows: [Int32]? = nil, imageCrops: [Int] = []) {
        precondition(virtualRows != nil ? virtualRows!.count == positions.count : embeddings.rows == positions.count,
                     "one position per row (or per virtual row)")
        self.embeddings = embeddings
        self.positions = positions
        self.virtualRows = virtualRows
        self.imageCrops = imageCrops
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
        // maxNewTokens − 1, and no more positions than the context holds.
        let steps = min(maxNewTokens, context - highestPosition + 1)
        let cache = KVCache(config: model.config, capacity: input.cacheRows + steps - 1)
        var sampler = Sampler(sampling)
        timings.promptTokens = input.rows

        var logits = try measure(&timings.prefill) {
            try model.forward(embeddings: input.embeddings.data, rows: input.rows, positions: input.positions,
                              cache: cache, virtualRows: input.virtualRows, imageCrops: input.imageCrops)
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
