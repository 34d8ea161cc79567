// tokenizer_config.json: the special-token names and flags transformers keeps beside tokenizer.json,
// and the chat template. The template is exposed as text only; rendering it is the ChatTemplate
// target's job.

import ConfigDecoding
import Foundation

/// The parts of tokenizer_config.json an inference engine needs, read once. A field of the wrong
/// type is an error naming it (`field 'add_bos_token': expected Bool`), never left out.
public struct TokenizerConfig: Decodable, Sendable, Equatable {
    /// The special tokens transformers' `special_tokens_map` gives a chat template, by their names
    /// (`bos_token`, `eos_token`, `unk_token`, `sep_token`, `pad_token`, `cls_token`, `mask_token`,
    /// `image_token`). A token is written as a string or (older files) an AddedToken object with
    /// "content"; null ones are left out.
    public var specialTokens: [String: String]
    /// `add_bos_token` / `add_eos_token` when the file has them. tokenizer.json's post-processor is what
    /// `Tokenizer.encode` applies; these flags are what transformers' Llama tokenizers build it from.
    public var addBosToken: Bool?
    public var addEosToken: Bool?
    /// `chat_template`: one Jinja source, or named templates (see `ChatTemplateField`).
    public var chatTemplate: ChatTemplateField?
    /// `tokenizer_class`, `legacy`, `add_prefix_space`: what transformers builds the tokenizer with
    /// (see `Tokenizer.matchingTransformers(_:)`).
    public var tokenizerClass: String?
    public var legacy: Bool?
    public var addPrefixSpace: Bool?

    public var bosToken: String? { specialTokens["bos_token"] }
    public var eosToken: String? { specialTokens["eos_token"] }
    public var unknownToken: String? { specialTokens["unk_token"] }
    public var paddingToken: String? { specialTokens["pad_token"] }

    public init(
        specialTokens: [String: String] = [:], addBosToken: Bool? = nil, addEosToken: Bool? = nil,
        chatTemplate: ChatTemplateField? = nil, tokenizerClass: String? = nil, legacy: Bool? = nil, addPrefixSpace: Bool? = nil
    ) {
        self.specialTokens = specialTokens
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
        do {
            self = try ConfigDecodingError.decode(TokenizerConfig.self, from: data)
        } catch let error as ConfigDecodingError {
            throw TokenizerError(kind: error.isInvalidJSON ? .invalidJSON : .invalidConfiguration, file: name, message: error.message)
        } catch {
            throw TokenizerError(kind: .invalidConfiguration, file: name, message: "\(error)")
        }
    }

    enum CodingKeys: String, CodingKey {
        case bosToken = "bos_token", eosToken = "eos_token", unkToken = "unk_token", sepToken = "sep_token"
        case padToken = "pad_token", clsToken = "cls_token", maskToken = "mask_token", imageToken = "image_token"
        case addBosToken = "add_bos_token", addEosToken = "add_eos_token"
        case chatTemplate = "chat_template"
        case tokenizerClass = "tokenizer_class", legacy, addPrefixSpace = "add_prefix_space"

        static let specialTokens: [CodingKeys] = [.bosToken, .eosToken, .unkToken, .sepToken, .padToken, .clsToken, .maskToken, .imageToken]
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var specialTokens: [String: String] = [:]
        for key in CodingKeys.specialTokens {
            specialTokens[key.stringValue] = try c.decodeIfPresent(SpecialToken.self, forKey: key)?.content
        }
        self.init(
            specialTokens: specialTokens,
            addBosToken: try c.decodeIfPresent(Bool.self, forKey: .addBosToken),
            addEosToken: try c.decodeIfPresent(Bool.self, forKey: .addEosToken),
            chatTemplate: try c.decodeIfPresent(ChatTemplateField.self, forKey: .chatTemplate),
            tokenizerClass: try c.decodeIfPresent(String.self, forKey: .tokenizerClass),
            legacy: try c.decodeIfPresent(Bool.self, forKey: .legacy),
            addPrefixSpace: try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace))
    }

    /// A special token: a string, or an AddedToken object (`{"__type": "AddedToken", "content": ...}`).
    private struct SpecialToken: Decodable {
        let content: String

        enum CodingKeys: String, CodingKey { case content }

        init(from decoder: any Swift.Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                content = text
            } else if let addedToken = try? decoder.container(keyedBy: CodingKeys.self) {
                content = try addedToken.decode(String.self, forKey: .content)
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                    debugDescription: "expected a string or an AddedToken object"))
            }
        }
    }
}
