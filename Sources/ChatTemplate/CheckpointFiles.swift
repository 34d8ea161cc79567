// Where a HuggingFace checkpoint directory keeps its chat template and special tokens, so the
// engine can build a ChatTemplate from a model folder. transformers looks, in order, at
// chat_template.jinja, chat_template.json ({"chat_template": "..."}) and tokenizer_config.json
// ("chat_template": a string, or a list of {"name", "template"} where "default" is used).

import Foundation

extension ChatTemplate {
    /// The chat template source stored in a checkpoint directory, or nil if it has none.
    public static func source(inCheckpoint directory: URL) throws -> String? {
        let jinja = directory.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) {
            return try String(contentsOf: jinja, encoding: .utf8)
        }
        for name in ["chat_template.json", "tokenizer_config.json"] {
            let file = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            let json: TemplateValue
            do {
                json = try TemplateValue(json: String(contentsOf: file, encoding: .utf8))
            } catch let error as TemplateError {
                throw TemplateError(.syntax, "\(name): \(error.message)")
            }
            switch json.dictionaryValue?["chat_template"] {
            case .string(let source)?:
                return source
            case .array(let named)?:
                let entries = named.compactMap(\.dictionaryValue)
                let chosen = entries.first { $0["name"] == "default" } ?? entries.first
                if let source = chosen?["template"]?.stringValue { return source }
            default:
                continue
            }
        }
        return nil
    }

    /// `bos_token`, `eos_token`, `unk_token`, `pad_token`, ... from a tokenizer_config.json text, as
    /// transformers' `special_tokens_map` gives them to the template. A token may be written as a
    /// string or as an AddedToken dict with a "content" field; null tokens are left out.
    public static func specialTokens(fromTokenizerConfig text: String) throws -> [String: String] {
        guard let config = try TemplateValue(json: text).dictionaryValue else { return [:] }
        var tokens: [String: String] = [:]
        for name in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token", "image_token"] {
            switch config[name] {
            case .string(let token)?: tokens[name] = token
            case .dictionary(let added)?: if let content = added["content"]?.stringValue { tokens[name] = content }
            default: break
            }
        }
        return tokens
    }
}
