// tokenizer_config.json: the special-token names and flags transformers keeps beside tokenizer.json.
// The chat template is exposed as text only; rendering it is the ChatTemplate target's job.

import Foundation

/// The parts of tokenizer_config.json an inference engine needs.
public struct TokenizerConfig: Sendable, Equatable {
    public var bosToken: String?
    public var eosToken: String?
    public var unknownToken: String?
    public var paddingToken: String?
    /// `add_bos_token` / `add_eos_token` when the file has them. tokenizer.json's post-processor is what
    /// `Tokenizer.encode` applies; these flags are what transformers' Llama tokenizers build it from.
    public var addBosToken: Bool?
    public var addEosToken: Bool?
    /// The Jinja chat template: the string, or from a list of named templates the one named "default".
    public var chatTemplate: String?
    /// `tokenizer_class`, `legacy`, `add_prefix_space`: what transformers builds the tokenizer with
    /// (see `Tokenizer.matchingTransformers(_:)`).
    public var tokenizerClass: String?
    public var legacy: Bool?
    public var addPrefixSpace: Bool?

    public init(
        bosToken: String? = nil, eosToken: String? = nil, unknownToken: String? = nil, paddingToken: String? = nil,
        addBosToken: Bool? = nil, addEosToken: Bool? = nil, chatTemplate: String? = nil,
        tokenizerClass: String? = nil, legacy: Bool? = nil, addPrefixSpace: Bool? = nil
    ) {
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.unknownToken = unknownToken
        self.paddingToken = paddingToken
        self.addBosToken = addBosToken
        self.addEosToken = addEosToken
        self.chatTemplate = chatTemplate
        self.tokenizerClass = tokenizerClass
        self.legacy = legacy
        self.addPrefixSpace = addPrefixSpace
    }

    /// Loads `url`: a tokenizer_config.json file, or a directory that contains one.
    public init(contentsOf url: URL) throws(TokenizerError) {
        let (data, path) = try TokenizerError.readFile(url, defaultName: "tokenizer_config.json")
        try self.init(jsonData: data, name: path)
    }

    /// Reads tokenizer_config.json content; `name` is used in error messages.
    public init(jsonData data: Data, name: String = "tokenizer_config.json") throws(TokenizerError) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(data)
        } catch {
            throw TokenizerError(kind: .invalidJSON, file: name, message: "invalid JSON: \(error)")
        }
        guard json.objectMembers != nil else {
            throw TokenizerError(
                kind: .invalidConfiguration, file: name, message: "expected a JSON object, found \(json.kindName)")
        }
        // A special token is a string, or (older files) an AddedToken object with "content".
        func tokenName(_ key: String) -> String? {
            json[key]?.stringValue ?? json[key]?["content"]?.stringValue
        }
        self.init(
            bosToken: tokenName("bos_token"), eosToken: tokenName("eos_token"),
            unknownToken: tokenName("unk_token"), paddingToken: tokenName("pad_token"),
            addBosToken: json["add_bos_token"]?.boolValue, addEosToken: json["add_eos_token"]?.boolValue,
            chatTemplate: Self.chatTemplate(json["chat_template"]),
            tokenizerClass: json["tokenizer_class"]?.stringValue, legacy: json["legacy"]?.boolValue,
            addPrefixSpace: json["add_prefix_space"]?.boolValue)
    }

    private static func chatTemplate(_ json: JSONValue?) -> String? {
        if let text = json?.stringValue { return text }
        guard let named = json?.arrayValue else { return nil }
        for item in named where item["name"]?.stringValue == "default" {
            return item["template"]?.stringValue
        }
        return nil
    }
}
