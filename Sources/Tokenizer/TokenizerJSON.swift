// tokenizer.json -> the parts of a tokenizer (tokenizers/src/tokenizer/serialization.rs).

import Foundation

/// Everything tokenizer.json describes, ready to use.
struct TokenizerDefinition: Sendable {
    var addedTokens: [AddedToken]
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var postProcessor: PostProcessor?
    var decoder: Decoder?
    var model: BPEModel

    /// Reads tokenizer.json content. The model's "vocab" and "merges" are read in place from the bytes
    /// (see JSONParser), everything else through the JSON tree.
    init(data: Data) throws(ConfigurationError) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(data, deferring: [["model", "vocab"], ["model", "merges"]])
        } catch {
            throw ConfigurationError(kind: .invalidJSON, message: "invalid JSON: \(error)")
        }
        guard json.objectMembers != nil else {
            throw .invalid("expected a JSON object at the top level, found \(json.kindName)")
        }
        guard let modelJSON = json["model"], modelJSON.objectMembers != nil else {
            throw .invalid("no \"model\" object")
        }
        model = try Self.readModel(modelJSON, data: data)

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
    private static func readModel(_ json: JSONValue, data: Data) throws(ConfigurationError) -> BPEModel {
        let type = json["type"]?.stringValue ?? (json["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else { throw .unsupported("model", type: type) }
        guard case .deferred(let vocabularyRange) = json["vocab"] else {
            throw .invalid("model: no \"vocab\"")
        }
        let vocabulary = try readVocabulary(data, vocabularyRange)
        let continuingSubwordPrefix = json["continuing_subword_prefix"]?.stringValue
        var merges: [UInt64: MergeRule] = [:]
        if case .deferred(let mergesRange) = json["merges"] {
            merges = try readMerges(
                data, mergesRange, vocabulary: vocabulary,
                prefixByteCount: continuingSubwordPrefix?.utf8.count ?? 0)
        }
        // dropout is ignored: it only applies when training with subword regularisation.
        return try BPEModel(
            vocabulary: vocabulary, merges: merges,
            unknownToken: json["unk_token"]?.stringValue,
            fuseUnknown: json["fuse_unk"]?.boolValue ?? false,
            byteFallback: json["byte_fallback"]?.boolValue ?? false,
            ignoreMerges: json["ignore_merges"]?.boolValue ?? false,
            continuingSubwordPrefix: continuingSubwordPrefix,
            endOfWordSuffix: json["end_of_word_suffix"]?.stringValue)
    }

    /// "vocab": {"token": id, ...}
    private static func readVocabulary(_ data: Data, _ range: Range<Int>) throws(ConfigurationError) -> Vocabulary {
        var vocabulary = Vocabulary()
        var problem: ConfigurationError? = nil
        do {
            try JSONParser.read(data, range) { parser in
                guard parser.peek() == UInt8(ascii: "{") else {
                    problem = .invalid("model: \"vocab\" must be an object of token -> id")
                    _ = try parser.readValue()
                    return
                }
                try parser.readObject { parser, token in
                    let value = try parser.readValue()
                    guard let id = value.intValue, id >= 0, id < 1 << 24 else {
                        problem = problem ?? .invalid("model: token \"\(String(decoding: token, as: UTF8.self))\" has no valid id")
                        return
                    }
                    vocabulary.insert(token, id: id)
                }
            }
        } catch {
            throw ConfigurationError(kind: .invalidJSON, message: "invalid JSON: \(error)")
        }
        if let problem { throw problem }
        return vocabulary
    }

    /// "merges": ["a b", ...] (older files) or [["a", "b"], ...] (tokenizers >= 0.20), resolved to ids as
    /// BpeBuilder::build does: the merged token is a + b without b's continuing-subword prefix, and every
    /// part must be in the vocabulary. A pair listed twice keeps its last rank (HF collects into a map).
    private static func readMerges(
        _ data: Data, _ range: Range<Int>, vocabulary: Vocabulary, prefixByteCount: Int
    ) throws(ConfigurationError) -> [UInt64: MergeRule] {
        var merges: [UInt64: MergeRule] = [:]
        var problem: ConfigurationError? = nil
        var left: [UInt8] = []
        var merged: [UInt8] = []
        var rank = 0

        func resolve(_ leftBytes: UnsafeBufferPointer<UInt8>, _ rightBytes: UnsafeBufferPointer<UInt8>) {
            let describe = { "merge \(rank) (\"\(String(decoding: leftBytes, as: UTF8.self)) \(String(decoding: rightBytes, as: UTF8.self))\")" }
            guard let leftId = vocabulary.id(leftBytes) else {
                problem = problem ?? .invalid("model: \(describe()) uses \"\(String(decoding: leftBytes, as: UTF8.self))\", which is not in the vocabulary")
                return
            }
            guard let rightId = vocabulary.id(rightBytes) else {
                problem = problem ?? .invalid("model: \(describe()) uses \"\(String(decoding: rightBytes, as: UTF8.self))\", which is not in the vocabulary")
                return
            }
            merged.removeAll(keepingCapacity: true)
            merged.append(contentsOf: leftBytes)
            merged.append(contentsOf: rightBytes.dropFirst(min(prefixByteCount, rightBytes.count)))
            guard let mergedId = merged.withUnsafeBufferPointer({ vocabulary.id($0) }) else {
                problem = problem ?? .invalid("model: \(describe()) makes \"\(String(decoding: merged, as: UTF8.self))\", which is not in the vocabulary")
                return
            }
            merges[BPEModel.pairKey(Int32(leftId), Int32(rightId))] = MergeRule(rank: Int32(rank), result: Int32(mergedId))
        }

        do {
            try JSONParser.read(data, range) { parser in
                guard parser.peek() == UInt8(ascii: "[") else {
                    problem = .invalid("model: \"merges\" must be an array")
                    _ = try parser.readValue()
                    return
                }
                try parser.readArray { parser in
                    defer { rank += 1 }
                    switch parser.peek() {
                    case UInt8(ascii: "\""):
                        try parser.readString { line in
                            // Exactly one space (HF: `line.split(' ')` must give two parts).
                            let spaces = line.indices.filter { line[$0] == 0x20 }
                            guard spaces.count == 1 else {
                                problem = problem ?? .invalid("model: merge \(rank) (\"\(String(decoding: line, as: UTF8.self))\") is not two tokens separated by one space")
                                return
                            }
                            resolve(UnsafeBufferPointer(rebasing: line[..<spaces[0]]), UnsafeBufferPointer(rebasing: line[(spaces[0] + 1)...]))
                        }
                    case UInt8(ascii: "["):
                        var count = 0
                        var allStrings = true
                        try parser.readArray { parser in
                            count += 1
                            guard parser.peek() == UInt8(ascii: "\""), allStrings else {
                                allStrings = false
                                _ = try parser.readValue()
                                return
                            }
                            try parser.readString { part in
                                if count == 1 {
                                    left.removeAll(keepingCapacity: true)
                                    left.append(contentsOf: part)
                                } else if count == 2 {
                                    left.withUnsafeBufferPointer { resolve($0, part) }
                                }
                            }
                        }
                        if count != 2 || !allStrings {
                            problem = problem ?? .invalid("model: merge \(rank) is not a pair of strings")
                        }
                    default:
                        let value = try parser.readValue()
                        problem = problem ?? .invalid("model: merge \(rank) is \(value.kindName), expected \"a b\" or [\"a\", \"b\"]")
                    }
                }
            }
        } catch {
            throw ConfigurationError(kind: .invalidJSON, message: "invalid JSON: \(error)")
        }
        if let problem { throw problem }
        return merges
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
