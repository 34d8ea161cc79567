/// A `chat_template` field as transformers stores it, in tokenizer_config.json and in a processor's
/// chat_template.json: one Jinja source, or a list of `{"name": ..., "template": ...}` entries,
/// which transformers turns into a dict by name, a later entry replacing an earlier one of the same
/// name (tokenization_utils_base.py, `PreTrainedTokenizerBase.__init__`).
public enum ChatTemplateField: Decodable, Sendable, Equatable {
    case single(String)
    case named([String: String])

    /// The template `apply_chat_template` uses when it is given no name (`get_chat_template`): the
    /// single one, or the one named "default". Nil when named templates have no "default", where
    /// transformers raises "This model has multiple chat templates with no default specified".
    public var defaultTemplate: String? {
        switch self {
        case .single(let source): source
        case .named(let templates): templates["default"]
        }
    }

    /// The names of named templates, sorted (as transformers lists them in its error).
    public var names: [String] {
        guard case .named(let templates) = self else { return [] }
        return templates.keys.sorted()
    }

    private struct NamedEntry: Decodable {
        let name: String
        let template: String
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let source = try? container.decode(String.self) {
            self = .single(source)
        } else if (try? decoder.unkeyedContainer()) != nil {
            let entries = try container.decode([NamedEntry].self)
            self = .named(Dictionary(entries.map { ($0.name, $0.template) }, uniquingKeysWith: { _, later in later }))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "expected a string or a list of {\"name\", \"template\"} objects"))
        }
    }
}
