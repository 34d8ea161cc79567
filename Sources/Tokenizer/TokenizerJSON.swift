// tokenizer.json -> the parts of a tokenizer (tokenizers/src/tokenizer/serialization.rs).

/// Everything tokenizer.json describes, ready to use.
struct TokenizerDefinition: Sendable {
    var addedTokens: [AddedToken]
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var postProcessor: PostProcessor?
    var decoder: Decoder?
    var model: BPEModel

    init(json: JSONValue) throws(ConfigurationError) {
        guard json.objectMembers != nil else {
            throw .invalid("expected a JSON object at the top level, found \(json.kindName)")
        }
        guard let modelJSON = json["model"], modelJSON.objectMembers != nil else {
            throw .invalid("no \"model\" object")
        }
        model = try Self.readModel(modelJSON)

        var addedTokens: [AddedToken] = []
        for item in json["added_tokens"]?.arrayValue ?? [] {
            addedTokens.append(try AddedToken(json: item))
        }
        self.addedTokens = addedTokens
        normalizer = try Self.present(json["normalizer"]).map { json throws(ConfigurationError) in try Normalizer(json: json) }
        preTokenizer = try Self.present(json["pre_tokenizer"]).map { json throws(ConfigurationError) in try PreTokenizer(json: json) }
        postProcessor = try Self.present(json["post_processor"]).map { json throws(ConfigurationError) in try PostProcessor(json: json) }
        decoder = try Self.present(json["decoder"]).map { json throws(ConfigurationError) in try Decoder(json: json) }
    }

    /// A member that is there and not null.
    private static func present(_ json: JSONValue?) -> JSONValue? {
        guard let json, !json.isNull else { return nil }
        return json
    }

    /// models/bpe/serialization.rs. A missing "type" is accepted when the fields are BPE's, as HF's
    /// untagged model deserialization does.
    private static func readModel(_ json: JSONValue) throws(ConfigurationError) -> BPEModel {
        let type = json["type"]?.stringValue ?? (json["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else { throw .unsupported("model", type: type) }

        guard let vocabularyMembers = json["vocab"]?.objectMembers else {
            throw .invalid("model: \"vocab\" must be an object of token -> id")
        }
        var vocabulary: [ExactString: Int] = [:]
        vocabulary.reserveCapacity(vocabularyMembers.count)
        for (token, idValue) in vocabularyMembers {
            guard let id = idValue.intValue, id >= 0 else {
                throw .invalid("model: token \"\(token)\" has no valid id")
            }
            vocabulary[ExactString(token)] = id
        }

        // Merges: "a b" strings (older files) or ["a", "b"] pairs (tokenizers >= 0.20).
        var merges: [(String, String)] = []
        let mergeValues = json["merges"]?.arrayValue ?? []
        merges.reserveCapacity(mergeValues.count)
        for (rank, value) in mergeValues.enumerated() {
            switch value {
            case .string(let line):
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw .invalid("model: merge \(rank) (\"\(line)\") is not two tokens separated by one space")
                }
                merges.append((String(parts[0]), String(parts[1])))
            case .array(let pair):
                guard pair.count == 2, let left = pair[0].stringValue, let right = pair[1].stringValue else {
                    throw .invalid("model: merge \(rank) is not a pair of strings")
                }
                merges.append((left, right))
            default:
                throw .invalid("model: merge \(rank) is \(value.kindName), expected \"a b\" or [\"a\", \"b\"]")
            }
        }

        // dropout is ignored: it only applies when training with subword regularisation.
        return try BPEModel(
            vocabulary: vocabulary, merges: merges,
            unknownToken: json["unk_token"]?.stringValue,
            fuseUnknown: json["fuse_unk"]?.boolValue ?? false,
            byteFallback: json["byte_fallback"]?.boolValue ?? false,
            ignoreMerges: json["ignore_merges"]?.boolValue ?? false,
            continuingSubwordPrefix: json["continuing_subword_prefix"]?.stringValue,
            endOfWordSuffix: json["end_of_word_suffix"]?.stringValue)
    }
}

extension JSONValue {
    /// `self[key]` as a string, or an error naming `context`.
    func requiredString(_ key: String, in context: String) throws(ConfigurationError) -> String {
        guard let value = self[key]?.stringValue else {
            throw .invalid("\(context): missing string \"\(key)\"")
        }
        return value
    }

    /// `self[key]` as an array, or an error naming `context`.
    func requiredArray(_ key: String, in context: String) throws(ConfigurationError) -> [JSONValue] {
        guard let value = self[key]?.arrayValue else {
            throw .invalid("\(context): missing array \"\(key)\"")
        }
        return value
    }
}
