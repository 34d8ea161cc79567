import Foundation

/// How the next token is chosen. Temperature 0 is greedy decoding.
public struct SamplingParameters: Sendable, Equatable {
    public var temperature: Float = 0
    public var topK: Int = 0       // 0 = off
    public var topP: Float = 1     // 1 = off
    public var seed: UInt64 = 0

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw EngineError.invalidArgument("--temperature must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw EngineError.invalidArgument("--top-k must be ≥ 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw EngineError.invalidArgument("--top-p must be in (0, 1], got \(topP)") }
    }
}

/// Chooses tokens from logits. The steps are small pure functions applied in transformers'
/// order of logits processors: temperature, then top-k, then top-p, then a draw.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var random: SplitMix64

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SplitMix64(seed: parameters.seed)
    }

    public mutating func next(_ logits: [Float]) -> Int {
        if parameters.temperature == 0 { return Sampler.argmax(logits) }
        var candidates = Sampler.softmax(logits, temperature: parameters.temperature)
        candidates = Sampler.topK(candidates, parameters.topK)
        candidates = Sampler.topP(candidates, parameters.topP)
        return Sampler.draw(candidates, uniform: random.nextUnitFloat())
    }

    /// The first index of the largest logit (as torch.argmax).
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }

    /// (token, probability) pairs, most probable first.
    public static func softmax(_ logits: [Float], temperature: Float) -> [(id: Int, p: Float)] {
        let maximum = logits.max() ?? 0
        var pairs = logits.enumerated().map { (id: $0.offset, p: expf(($0.element - maximum) / temperature)) }
        let total = pairs.reduce(0) { $0 + $1.p }
        for i in pairs.indices { pairs[i].p /= total }
        pairs.sort { $0.p > $1.p }
        return pairs
    }

    public static func topK(_ sorted: [(id: Int, p: Float)], _ k: Int) -> [(id: Int, p: Float)] {
        k > 0 && k < sorted.count ? Array(sorted.prefix(k)) : sorted
    }

    /// The smallest prefix whose probability reaches `p` (at least one token).
    public static func topP(_ sorted: [(id: Int, p: Float)], _ p: Float) -> [(id: Int, p: Float)] {
        guard p < 1 else { return sorted }
        let total = sorted.reduce(0) { $0 + $1.p }
        var cumulative: Float = 0
        for (i, candidate) in sorted.enumerated() {
            cumulative += candidate.p / total
            if cumulative >= p { return Array(sorted.prefix(i + 1)) }
        }
        return sorted
    }

    /// Draws from unnormalised probabilities with a uniform number in [0, 1).
    public static func draw(_ candidates: [(id: Int, p: Float)], uniform: Float) -> Int {
        let total = candidates.reduce(0) { $0 + $1.p }
        var threshold = uniform * total
        for candidate in candidates {
            threshold -= candidate.p
            if threshold < 0 { return candidate.id }
        }
        return candidates.last!.id
    }
}

/// A small, fast, seedable generator (Steele et al., SplitMix64), so `--seed` reproduces a run.
struct SplitMix64: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
