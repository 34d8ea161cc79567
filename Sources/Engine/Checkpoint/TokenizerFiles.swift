import ConfigDecoding
import Foundation
import Tokenizer

/// A checkpoint's text side, each file read once per load: tokenizer.json as adjusted by
/// tokenizer_config.json, the special tokens a chat template sees, and the chat template's source.
struct TokenizerFiles {
    let tokenizer: Tokenizer
    let specialTokens: [String: String]
    /// Nil when the checkpoint has no chat template.
    let chatTemplateSource: String?

    init(directory: String) throws {
        let config = try Self.tokenizerConfig(directory: directory)
        tokenizer = try Self.tokenizer(directory: directory, config: config)
        specialTokens = config?.specialTokens ?? [:]
        chatTemplateSource = try Self.chatTemplateSource(directory: directory, tokenizerConfig: config)
    }

    /// tokenizer_config.json, or nil when the checkpoint has none.
    static func tokenizerConfig(directory: String) throws -> TokenizerConfig? {
        let path = directory + "/tokenizer_config.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try TokenizerConfig(contentsOf: URL(fileURLWithPath: path))
    }

    /// tokenizer.json as transformers builds it: adjusted by tokenizer_config.json for the classes
    /// transformers 5 rebuilds (LlamaTokenizerFast).
    static func tokenizer(directory: String, config: TokenizerConfig?) throws -> Tokenizer {
        let path = directory + "/tokenizer.json"
        guard FileManager.default.fileExists(atPath: path) else { throw EngineError.missingFile(path) }
        let tokenizer = try Tokenizer(contentsOf: URL(fileURLWithPath: path))
        return config.map(tokenizer.matchingTransformers) ?? tokenizer
    }

    /// The one place that chooses among a checkpoint's chat templates, in the order transformers'
    /// processors load them: chat_template.jinja, else the processor's chat_template.json, else
    /// tokenizer_config.json's `chat_template`.
    static func chatTemplateSource(directory: String, tokenizerConfig: TokenizerConfig?) throws -> String? {
        let jinjaPath = directory + "/chat_template.jinja"
        if FileManager.default.fileExists(atPath: jinjaPath) {
            return try String(contentsOfFile: jinjaPath, encoding: .utf8)
        }
        let processorPath = directory + "/chat_template.json"
        if FileManager.default.fileExists(atPath: processorPath),
           let field = try JSONFile.decode(ProcessorChatTemplate.self, path: processorPath).chatTemplate {
            return try defaultTemplate(field, file: processorPath)
        }
        return try tokenizerConfig?.chatTemplate.map { try defaultTemplate($0, file: directory + "/tokenizer_config.json") }
    }

    /// The template `apply_chat_template` would use without a name: as transformers, an error when
    /// named templates have none named "default".
    private static func defaultTemplate(_ field: ChatTemplateField, file: String) throws -> String {
        guard let source = field.defaultTemplate else {
            throw EngineError.invalidJSON(file: file,
                reason: "field 'chat_template': no template is named 'default' (names: \(field.names.joined(separator: ", ")))")
        }
        return source
    }

    /// A processor's chat_template.json: `{"chat_template": ...}`.
    private struct ProcessorChatTemplate: Decodable {
        let chatTemplate: ChatTemplateField?
        enum CodingKeys: String, CodingKey { case chatTemplate = "chat_template" }
    }
}
