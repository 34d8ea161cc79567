import Foundation
import LLM

/// `config.json` of a checkpoint directory: a plain decoder (LlamaForCausalLM, Qwen2ForCausalLM),
/// a transformers LLaVA composition whose language part is `text_config`, or a checkpoint of the
/// original LLaVA repository (LlavaLlamaForCausalLM: the decoder's fields at the top level plus
/// `mm_*` fields, the vision tower in its own CLIP checkpoint).
struct ModelConfig {
    enum Kind { case decoder, llava, originalLlava }

    let kind: Kind
    let text: TextConfig
    /// ProxyV settings when the checkpoint declares `proxyv: true`.
    let proxyV: ProxyVSettings?
    /// The raw JSON, for the parts (vision, projector) that are parsed by their own targets.
    let json: [String: Any]
    /// The original LLaVA repository's `mm_*` settings.
    let original: OriginalLlavaSettings?

    init(path: String) throws {
        json = try JSONFile.object(path)
        let modelType = json["model_type"] as? String ?? ""
        let architectures = json["architectures"] as? [String] ?? []
        original = json["mm_vision_tower"] != nil || json["mm_projector_type"] != nil
            ? try OriginalLlavaSettings(json, file: path) : nil
        if original != nil {
            kind = .originalLlava
            var textJSON = json
            textJSON["model_type"] = modelType.contains("qwen") ? "qwen2" : "llama"
            text = try Self.decodeText(textJSON, file: path)
        } else if modelType == "llava" || architectures.contains(where: { $0.hasPrefix("Llava") }) {
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

/// The original LLaVA repository's multimodal settings (llava/model/llava_arch.py, mm_utils.py).
struct OriginalLlavaSettings {
    /// The vision tower's name (a HuggingFace id such as openai/clip-vit-large-patch14-336, or a path).
    let visionTower: String
    let selectLayer: Int
    /// "patch" drops the class token; "cls_patch" keeps it.
    let keepClassToken: Bool
    let projectorType: String
    /// "pad" (expand2square with the mean colour), "anyres", or nothing (the processor alone).
    let imageAspectRatio: String?
    let gridPinpoints: [[Int]]
    /// LLaVA-NeXT / ProxyV's string form, "(1x1),...,(3x3)" in units of the crop size.
    let gridPinpointsText: String?

    /// The sentinel id `tokenizer_image_token` puts where each image goes (IMAGE_TOKEN_INDEX).
    static let imageTokenIndex = -200

    /// The original repository's `vicuna_v1` conversation (llava/conversation.py, which the
    /// LLaVA-1.5 and ProxyV Vicuna checkpoints were trained with), as a chat template:
    /// system + " USER: <image>\n{question} ASSISTANT: {answer}</s>" …, ending with " ASSISTANT:".
    static let vicunaTemplate = """
        {{- "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions." -}}
        {%- for message in messages -%}
        {%- if message['role'] == 'user' -%}{{ ' USER: ' }}{%- else -%}{{ ' ASSISTANT: ' }}{%- endif -%}
        {%- if message['content'] is string -%}{{ message['content'] }}{%- else -%}
        {%- for part in message['content'] if part['type'] == 'image' -%}{{ '<image>\n' }}{%- endfor -%}
        {%- for part in message['content'] if part['type'] == 'text' -%}{{ part['text'] }}{%- endfor -%}
        {%- endif -%}
        {%- if message['role'] != 'user' -%}{{ '</s>' }}{%- endif -%}
        {%- endfor -%}
        {%- if add_generation_prompt -%}{{ ' ASSISTANT:' }}{%- endif -%}
        """

    init(_ json: [String: Any], file: String) throws {
        visionTower = json["mm_vision_tower"] as? String ?? json["vision_tower"] as? String ?? ""
        selectLayer = json["mm_vision_select_layer"] as? Int ?? -2
        keepClassToken = (json["mm_vision_select_feature"] as? String ?? "patch") == "cls_patch"
        projectorType = json["mm_projector_type"] as? String ?? "linear"
        imageAspectRatio = json["image_aspect_ratio"] as? String
        gridPinpoints = json["image_grid_pinpoints"] as? [[Int]] ?? []
        gridPinpointsText = json["image_grid_pinpoints"] as? String
        guard ["linear", "mlp2x_gelu"].contains(projectorType) else {
            throw EngineError.unsupportedModel("\(file): mm_projector_type '\(projectorType)' is not supported (linear, mlp2x_gelu)")
        }
        if json["mm_use_im_start_end"] as? Bool == true {
            throw EngineError.unsupportedModel("\(file): mm_use_im_start_end checkpoints are not supported")
        }
    }
}
