import ChatTemplate

/// What the user asks: a prompt (a single user turn rendered with the chat template, or text
/// used verbatim) and the images it refers to, in order.
public struct Request: Sendable {
    public enum Prompt: Sendable {
        /// One user turn: the images (in order), then this text.
        case chat(String)
        /// A whole conversation, rendered with the chat template.
        case messages([ChatMessage])
        /// Text used verbatim; `<image>` (the checkpoint's image token) marks each image.
        case raw(String)

        var isRaw: Bool {
            if case .raw = self { return true }
            return false
        }
    }

    public var prompt: Prompt
    public var images: [String]
    public var maxNewTokens: Int
    public var sampling: SamplingParameters
    public var reduction: VisualTokenReduction
    /// Run ProxyV layers when the checkpoint has them (off: every layer plain, for comparison).
    public var proxyV: Bool
    /// Stop at an end-of-sequence token (benchmarks turn this off to decode a fixed count).
    public var stopAtEndOfSequence: Bool

    public init(prompt: Prompt, images: [String] = [], maxNewTokens: Int = 256, sampling: SamplingParameters = .init(),
                reduction: VisualTokenReduction = .none, proxyV: Bool = true, stopAtEndOfSequence: Bool = true) {
        self.stopAtEndOfSequence = stopAtEndOfSequence
        self.prompt = prompt
        self.images = images
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.reduction = reduction
        self.proxyV = proxyV
    }
}

/// What came back: the answer, its ids, and where the time went.
public struct Response: Sendable, Encodable {
    public var text: String
    public var tokens: [Int]
    public var promptTokens: Int
    public var visualTokens: Int
    /// Per image, the vision tokens after each tower block that ran (DyMU), class token included.
    public var visionTokensPerLayer: [[Int]]?
    /// The LLM sequence length attention sees (larger than prompt_tokens with VTU).
    public var virtualPromptTokens: Int?
    public var proxyV: ProxyVReport?
    public var stopReason: StopReason
    public var timings: Timings

    enum CodingKeys: String, CodingKey {
        case text, tokens, promptTokens = "prompt_tokens", visualTokens = "visual_tokens"
        case visionTokensPerLayer = "vision_tokens_per_layer", virtualPromptTokens = "virtual_prompt_tokens"
        case proxyV = "proxyv", stopReason = "stop_reason", timings
    }
}
