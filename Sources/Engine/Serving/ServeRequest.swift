import ChatTemplate

/// One chat completion asked of an `InferenceServer`.
public struct ServeRequest: Sendable {
    /// The conversation; `.image` parts mark where `images` go, in order.
    public var messages: [ChatMessage]
    public var images: [ImageInput]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation stops before the first of these strings; the answer excludes it.
    public var stop: [String]
    public var reduction: VisualTokenReduction
    /// Run ProxyV layers when the checkpoint has them.
    public var proxyV: Bool

    public init(messages: [ChatMessage], images: [ImageInput] = [], maxTokens: Int = 256,
                sampling: SamplingParameters = .init(), stop: [String] = [],
                reduction: VisualTokenReduction = .none, proxyV: Bool = true) {
        self.messages = messages
        self.images = images
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.reduction = reduction
        self.proxyV = proxyV
    }
}

/// What a request's stream carries: pieces of the answer as they are decoded, then a summary.
public enum ServeEvent: Sendable {
    case text(String)
    case finished(ServeSummary)
}

/// Why generation ended, in OpenAI's words.
public enum FinishReason: String, Sendable, Codable {
    /// An end-of-sequence token or a stop string.
    case stop
    /// max_tokens, or the model's context.
    case length
}

/// What one request cost and what it reused.
public struct ServeSummary: Sendable {
    public var text = ""
    public var tokens: [Int] = []
    public var finishReason = FinishReason.stop
    /// Prompt rows (text tokens and image rows) the LLM received.
    public var promptTokens = 0
    /// Prompt rows whose keys and values came from the prefix cache.
    public var cachedTokens = 0
    public var visualTokens = 0
    /// Images whose rows came from the image cache.
    public var cachedImages = 0
    public var timings = Timings()
    /// From submission to the first token, queueing included.
    public var timeToFirstToken: Double = 0
}

public enum ServingError: Error, CustomStringConvertible {
    /// Every sequence is busy and the queue is full.
    case busy(queued: Int)
    case stopped

    public var description: String {
        switch self {
        case let .busy(queued): "the server is busy: \(queued) requests are already waiting"
        case .stopped: "the server is shutting down"
        }
    }
}
