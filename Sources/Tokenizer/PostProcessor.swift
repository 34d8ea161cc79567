// Post-processors add the special tokens of a single sequence (tokenizers/src/processors/).
// Only ids matter here: ByteLevel's post-processor changes offsets only, so it is a no-op.

indirect enum PostProcessor: Sendable {
    /// One item of a TemplateProcessing `single` template.
    enum TemplateItem: Sendable {
        case sequence
        case specialTokens([Int])
    }

    /// TemplateProcessing (processors/template.rs), `single` template.
    case template([TemplateItem])
    /// BertProcessing / RobertaProcessing: [cls] sequence [sep].
    case surround(prefix: [Int], suffix: [Int])
    case byteLevel
    case sequence([PostProcessor])

    /// The ids with the special tokens added (when `addSpecialTokens`).
    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        guard addSpecialTokens else { return ids }
        switch self {
        case .template(let items):
            var result: [Int] = []
            result.reserveCapacity(ids.count + 4)
            for item in items {
                switch item {
                case .sequence: result += ids
                case .specialTokens(let special): result += special
                }
            }
            return result
        case .surround(let prefix, let suffix):
            return prefix + ids + suffix
        case .byteLevel:
            return ids
        case .sequence(let processors):
            return processors.reduce(ids) { $1.process($0, addSpecialTokens: true) }
        }
    }
}

extension PostProcessor {
    /// Reads the `post_processor` member of tokenizer.json.
    init(json: JSONValue) throws(ConfigurationError) {
        let type = try json.requiredString("type", in: "post_processor")
        switch type {
        case "TemplateProcessing":
            // special_tokens: {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}
            var specialIds: [String: [Int]] = [:]
            for (name, value) in json["special_tokens"]?.objectMembers ?? [] {
                var ids: [Int] = []
                for id in value["ids"]?.arrayValue ?? [] {
                    guard let id = id.intValue else {
                        throw .invalid("TemplateProcessing: special token \"\(name)\" has a non-integer id")
                    }
                    ids.append(id)
                }
                specialIds[name] = ids
            }
            var items: [TemplateItem] = []
            for piece in try json.requiredArray("single", in: "TemplateProcessing") {
                if piece["Sequence"] != nil {
                    items.append(.sequence)
                } else if let name = piece["SpecialToken"]?["id"]?.stringValue {
                    guard let ids = specialIds[name] else {
                        throw .invalid("TemplateProcessing: special token \"\(name)\" is not in special_tokens")
                    }
                    items.append(.specialTokens(ids))
                } else {
                    throw .invalid("TemplateProcessing: unknown template piece")
                }
            }
            self = .template(items)
        case "BertProcessing", "RobertaProcessing":
            // "cls": ["<s>", 0], "sep": ["</s>", 2]
            guard let cls = json["cls"]?.arrayValue?.last?.intValue, let sep = json["sep"]?.arrayValue?.last?.intValue
            else {
                throw .invalid("\(type): cls and sep must be [token, id]")
            }
            self = .surround(prefix: [cls], suffix: [sep])
        case "ByteLevel":
            self = .byteLevel
        case "Sequence":
            var processors: [PostProcessor] = []
            for item in try json.requiredArray("processors", in: "Sequence post-processor") {
                processors.append(try PostProcessor(json: item))
            }
            self = .sequence(processors)
        default:
            throw .unsupported("post-processor", type: type)
        }
    }
}
