import Foundation

/// Wall-clock time of each stage of one request, in milliseconds.
public struct Timings: Sendable, Codable {
    public var load: Double = 0
    public var imagePreprocess: Double = 0
    public var visionTower: Double = 0
    public var projector: Double = 0
    public var prefill: Double = 0
    public var decode: Double = 0
    public var promptTokens = 0
    public var generatedTokens = 0
    /// Forward passes of one token each (the first generated token comes from prefill).
    public var decodeSteps = 0

    public init() {}

    public var timeToFirstToken: Double { imagePreprocess + visionTower + projector + prefill }
    public var prefillTokensPerSecond: Double { prefill > 0 ? Double(promptTokens) / prefill * 1000 : 0 }
    public var decodeTokensPerSecond: Double { decode > 0 ? Double(decodeSteps) / decode * 1000 : 0 }

    enum CodingKeys: String, CodingKey {
        case load = "load_ms", imagePreprocess = "image_preprocess_ms", visionTower = "vision_tower_ms"
        case projector = "projector_ms", prefill = "prefill_ms", decode = "decode_ms"
        case timeToFirstToken = "time_to_first_token_ms"
        case prefillTokensPerSecond = "prefill_tokens_per_s", decodeTokensPerSecond = "decode_tokens_per_s"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(load, forKey: .load)
        try c.encode(imagePreprocess, forKey: .imagePreprocess)
        try c.encode(visionTower, forKey: .visionTower)
        try c.encode(projector, forKey: .projector)
        try c.encode(prefill, forKey: .prefill)
        try c.encode(decode, forKey: .decode)
        try c.encode(timeToFirstToken, forKey: .timeToFirstToken)
        try c.encode(prefillTokensPerSecond, forKey: .prefillTokensPerSecond)
        try c.encode(decodeTokensPerSecond, forKey: .decodeTokensPerSecond)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        load = try c.decode(Double.self, forKey: .load)
        imagePreprocess = try c.decode(Double.self, forKey: .imagePreprocess)
        visionTower = try c.decode(Double.self, forKey: .visionTower)
        projector = try c.decode(Double.self, forKey: .projector)
        prefill = try c.decode(Double.self, forKey: .prefill)
        decode = try c.decode(Double.self, forKey: .decode)
    }
}

/// Milliseconds taken by `body`.
@inline(__always)
func measure<T>(_ milliseconds: inout Double, _ body: () throws -> T) rethrows -> T {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { milliseconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }
    return try body()
}
