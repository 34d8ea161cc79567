import Foundation

/// Finds a checkpoint's chat template where transformers looks for it: `chat_template.jinja`,
/// `chat_template.json` ({"chat_template": …}), or `tokenizer_config.json`'s `chat_template`
/// (a string, or a list of {name, template} of which "default" is used).
enum ChatTemplateSource {
    static func find(in directory: String, tokenizerConfig: [String: Any]) throws -> String? {
        let jinja = directory + "/chat_template.jinja"
        if let data = FileManager.default.contents(atPath: jinja) {
            guard let text = String(data: data, encoding: .utf8) else { throw EngineError.invalidJSON(file: jinja, reason: "not UTF-8") }
            return text
        }
        let json = directory + "/chat_template.json"
        if FileManager.default.fileExists(atPath: json) {
            guard let template = try JSONFile.object(json)["chat_template"] as? String else {
                throw EngineError.invalidJSON(file: json, reason: "no chat_template string")
            }
            return template
        }
        switch tokenizerConfig["chat_template"] {
        case let template as String:
            return template
        case let named as [[String: Any]]:
            let chosen = named.first { $0["name"] as? String == "default" } ?? named.first
            return chosen?["template"] as? String
        default:
            return nil
        }
    }

    /// Special-token strings a template may refer to (`bos_token`, `eos_token`, …), from
    /// `tokenizer_config.json`, where each is a string or an AddedToken object with `content`.
    static func specialTokens(_ tokenizerConfig: [String: Any]) -> [String: String] {
        var tokens: [String: String] = [:]
        for name in ["bos_token", "eos_token", "unk_token", "pad_token", "image_token"] {
            switch tokenizerConfig[name] {
            case let text as String: tokens[name] = text
            case let object as [String: Any]: tokens[name] = object["content"] as? String
            default: break
            }
        }
        return tokens
    }
}
