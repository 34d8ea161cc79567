import Foundation
import LLM

/// `config.json` of a checkpoint directory: a plain decoder (LlamaForCausalLM, Qwen2ForCausalLM)
/// or a LLaVA composition whose language part is `text_config`.
struct ModelConfig {
    enum Kind { case decoder, llava }

    let kind: Kind
    let text: TextConfig
    /// ProxyV settings when the checkpoint declares `proxyv: true`.
    let proxyV: ProxyVSettings?
    /// The raw JSON, for the parts (vision, projector) that are parsed by their own targets.
    let json: [String: Any]

    init(path: String) throws {
        json = try JSONFile.object(path)
        let modelType = json["model_type"] as? String ?? ""
        let architectures = json["architectures"] as? [String] ?? []
        if modelType == "llava" || architectures.contains(where: { $0.hasPrefix("Llava") }) {
            kind = .llava
            var textJSON = json["text_config"] as? [String: Any] ?? [:]
            // transformers' LlavaConfig fills text_config from CONFIG_MAPPING["llama"] when absent,
            // and older files keep tie_word_embeddings at the top level.
            if textJSON["tie_word_embeddings"] == nil, let tie = json["tie_word_embeddings"] { textJSON["tie_word_embeddings"] = tie }
            text = try Self.decodeText(textJSON, file: path + " (text_config)")
        } else if ["llama", "qwen2", "mistral"].contains(modelType) {
            kind = .decoder
            text = try Self.decodeText(json, file: path)
        } else {
            throw EngineError.unsupportedModel(
                "\(path): unsupported model_type '\(modelType)' (supported: llama, qwen2, llava)")
        }
        proxyV = try ProxyVSettings(json["proxyv"] != nil ? json : json["text_config"] as? [String: Any] ?? [:], file: path)
    }

    private static func decodeText(_ object: [String: Any], file: String) throws -> TextConfig {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try JSONFile.decode(TextConfig.self, from: data, file: file)
    }
}

/// ProxyV's config fields (the authors' train.py defaults where a field is absent).
struct ProxyVSettings {
    let startLayer: Int
    let reduceFactor: Int
    let tokensPerCrop: Int
    let learnProxy: Bool

    init?(_ json: [String: Any], file: String) throws {
        guard json["proxyv"] as? Bool == true else { return nil }
        startLayer = json["proxyv_start_layer"] as? Int ?? 0
        reduceFactor = json["proxyv_reduce_factor"] as? Int ?? 4
        tokensPerCrop = json["per_crop_token_len"] as? Int ?? 576
        learnProxy = json["learn_proxy"] as? Bool ?? false
    }
}
