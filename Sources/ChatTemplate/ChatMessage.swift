// One turn of a conversation, as transformers' apply_chat_template receives it: a dict with "role"
// and "content", where content is either a string or a list of parts such as
// {"type": "image"} and {"type": "text", "text": "..."} (LLaVA templates iterate over the parts).

/// A chat message for `ChatTemplate.render(messages:...)`.
public struct ChatMessage: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case text(String)
        case parts([Part])
    }

    public enum Part: Sendable, Equatable {
        /// `{"type": "text", "text": ...}`
        case text(String)
        /// `{"type": "image"}`
        case image
        /// Any other part, passed through as written (e.g. `{"type": "video"}`).
        case other(TemplateDictionary)
    }

    public var role: String
    public var content: Content
    /// Further keys of the message dict (e.g. "tool_calls"), after "role" and "content".
    public var extraFields: TemplateDictionary

    public init(role: String, content: Content, extraFields: TemplateDictionary = [:]) {
        self.role = role
        self.content = content
        self.extraFields = extraFields
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: .text(text)) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: .text(text)) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: "assistant", content: .text(text)) }
    public static func user(parts: [Part]) -> ChatMessage { ChatMessage(role: "user", content: .parts(parts)) }

    /// The dict the template sees, keys in the order role, content, extra fields.
    public var templateValue: TemplateValue {
        var message: TemplateDictionary = ["role": .string(role)]
        switch content {
        case .text(let text):
            message["content"] = .string(text)
        case .parts(let parts):
            message["content"] = .array(parts.map { part in
                switch part {
                case .text(let text): return ["type": "text", "text": .string(text)]
                case .image: return ["type": "image"]
                case .other(let fields): return .dictionary(fields)
                }
            })
        }
        for (key, value) in extraFields { message[key] = value }
        return .dictionary(message)
    }
}
