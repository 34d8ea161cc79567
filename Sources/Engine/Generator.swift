import LLM
import Tensor

/// The LLM input of one request: rows of embeddings (token embeddings with image features
/// spliced in) and the RoPE position of each row.
public struct PreparedInput {
    public let embeddings: Matrix  // [rows, D]
    public let positions: [Int32]
    public var rows: Int { positions.count }

    public init(embeddings: Matrix, positions: [Int32]) {
        precondition(embeddings.rows >= positions.count, "one embedding row per position")
        self.embeddings = embeddings
        self.positions = positions
    }
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
    /// chosen (end-of-sequence ids are not passed on) and may return false to stop.
    public func generate(
        _ input: PreparedInput, maxNewTokens: Int, sampling: SamplingParameters,
        timings: inout Timings, onToken: (Int) -> Bool = { _ in true }
    ) throws -> (tokens: [Int], stop: StopReason) {
        let context = model.config.maxPositions
        let highestPosition = Int(input.positions.max() ?? -1) + 1
        guard highestPosition <= context, input.rows <= context else {
            throw EngineError.promptTooLong(tokens: max(highestPosition, input.rows), context: context)
        }
        // Every generated token but the last is fed back, so the cache needs rows + maxNewTokens − 1
        // rows, and no more positions than the context holds.
        let steps = min(maxNewTokens, context - highestPosition + 1)
        let cache = KVCache(config: model.config, capacity: input.rows + max(steps - 1, 0))
        var sampler = Sampler(sampling)
        timings.promptTokens = input.rows

        var logits = try measure(&timings.prefill) {
            try model.forward(embeddings: input.embeddings.data, rows: input.rows, positions: input.positions, cache: cache)
        }
        var tokens: [Int] = []
        let embedding = Matrix(rows: 1, cols: model.hiddenSize)
        var stop = StopReason.maxTokens
        var elapsed: Double = 0
        while tokens.count < steps {
            let next = sampler.next(logits)
            if endOfSequence.contains(next) { stop = .endOfSequence; break }
            tokens.append(next)
            if !onToken(next) { stop = .stoppedByCaller; break }
            if tokens.count == steps { break }
            timings.decodeSteps += 1
            logits = try measure(&elapsed) {
                try model.embed([next], into: embedding.data)
                return try model.forward(embeddings: embedding.data, rows: 1, positions: [cache.nextPosition], cache: cache)
            }
        }
        timings.decode += elapsed
        timings.generatedTokens = tokens.count
        return (tokens, stop)
    }
}
