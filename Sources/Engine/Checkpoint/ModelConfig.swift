import ConfigDecoding
import Foundation
import LLM
import ViT

/// `config.json` of a checkpoint directory, decoded once: a plain decoder (LlamaForCausalLM,
/// Qwen2ForCausalLM), a transformers LLaVA composition whose language part is `text_config`, or a
/// checkpoint of the original LLaVA repository (LlavaLlamaForCausalLM: the decoder's fields at the
/// top level plus `mm_*` fields, the vision tower in its own CLIP checkpoint).
struct ModelConfig: Decodable {
    enum Kind { case decoder, llava, originalLlava }

    let kind: Kind
    let text: TextConfig
    /// transformers' LLaVA settings: vision tower, projector, image token.
    let llava: LlavaConfig?
    /// ProxyV settings when the checkpoint declares `proxyv: true`.
    let proxyV: ProxyVSettings?
    /// The original LLaVA repository's `mm_*` settings.
    let original: OriginalLlavaSettings?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", architectures
        case textConfig = "text_config"
        case tieWordEmbeddings = "tie_word_embeddings"
        case proxyV = "proxyv"
        case mmVisionTower = "mm_vision_tower", mmProjectorType = "mm_projector_type"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? ""
        let architectures = try c.decodeIfPresent([String].self, forKey: .architectures) ?? []
        let hasTextConfig = try c.contains(.textConfig) && !c.decodeNil(forKey: .textConfig)
        let textDecoder = hasTextConfig ? try c.superDecoder(forKey: .textConfig) : nil
        if c.contains(.mmVisionTower) || c.contains(.mmProjectorType) {
            kind = .originalLlava
            original = try OriginalLlavaSettings(from: decoder)
            text = try TextConfig(from: decoder, family: modelType.contains("qwen") ? .qwen2 : .llama, tieWordEmbeddingsDefault: false)
            llava = nil
        } else if modelType == "llava" || architectures.contains(where: { $0.hasPrefix("Llava") }) {
            kind = .llava
            original = nil
            // Older files keep tie_word_embeddings at the top level rather than in text_config.
            let tie = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
            text = try textDecoder.map { try TextConfig(from: $0, family: nil, tieWordEmbeddingsDefault: tie) }
                ?? Self.defaultLlavaText(tieWordEmbeddings: tie)
            llava = try LlavaConfig(from: decoder)
        } else if ["llama", "qwen2", "mistral"].contains(modelType) {
            kind = .decoder
            original = nil
            text = try TextConfig(from: decoder)
            llava = nil
        } else {
            throw DecodingError.dataCorruptedError(forKey: .modelType, in: c,
                debugDescription: "'\(modelType)' is not supported (llama, qwen2, mistral, llava)")
        }
        // ProxyV's fields sit at the top level, or in text_config.
        proxyV = try ProxyVSettings.declared(in: c.contains(.proxyV) ? decoder : textDecoder)
    }

    /// transformers' LlavaConfig builds text_config from CONFIG_MAPPING["llama"]() when it is
    /// absent or null: LlamaConfig's defaults.
    private static func defaultLlavaText(tieWordEmbeddings: Bool) -> TextConfig {
        var text = try! JSONDecoder().decode(TextConfig.self, from: Data("{}".utf8))
        text.tieWordEmbeddings = tieWordEmbeddings
        return text
    }
}

/// ProxyV's config fields (the authors' train.py defaults where a field is absent).
struct ProxyVSettings {
    let startLayer: Int
    let reduceFactor: Int
    let tokensPerCrop: Int
    let learnProxy: Bool

    enum CodingKeys: String, CodingKey {
        case proxyV = "proxyv"
        case startLayer = "proxyv_start_layer", reduceFactor = "proxyv_reduce_factor"
        case tokensPerCrop = "per_crop_token_len", learnProxy = "learn_proxy"
    }

    /// The settings in `decoder`'s object when it declares `proxyv: true`, else nil.
    static func declared(in decoder: Decoder?) throws -> ProxyVSettings? {
        guard let c = try decoder?.container(keyedBy: CodingKeys.self),
              try c.decodeIfPresent(Bool.self, forKey: .proxyV) == true else { return nil }
        return ProxyVSettings(startLayer: try c.integerIfPresent(.startLayer) ?? 0,
                              reduceFactor: try c.integerIfPresent(.reduceFactor) ?? 4,
                              tokensPerCrop: try c.integerIfPresent(.tokensPerCrop) ?? 576,
                              learnProxy: try c.decodeIfPresent(Bool.self, forKey: .learnProxy) ?? false)
    }
}

/// The original LLaVA repository's multimodal settings (llava/model/llava_arch.py, mm_utils.py).
struct OriginalLlavaSettings: Decodable {
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

    enum CodingKeys: String, CodingKey {
        case visionTower = "mm_vision_tower", legacyVisionTower = "vision_tower"
        case selectLayer = "mm_vision_select_layer", selectFeature = "mm_vision_select_feature"
        case projectorType = "mm_projector_type"
        case imageAspectRatio = "image_aspect_ratio", gridPinpoints = "image_grid_pinpoints"
        case useImageStartEnd = "mm_use_im_start_end"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        visionTower = try c.decodeIfPresent(String.self, forKey: .visionTower)
            ?? c.decodeIfPresent(String.self, forKey: .legacyVisionTower) ?? ""
        selectLayer = try c.integerIfPresent(.selectLayer) ?? -2
        switch try c.decodeIfPresent(String.self, forKey: .selectFeature) ?? "patch" {
        case "patch": keepClassToken = false
        case "cls_patch": keepClassToken = true
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .selectFeature, in: c,
                debugDescription: "'\(other)' is not supported (patch, cls_patch)")
        }
        projectorType = try c.decodeIfPresent(String.self, forKey: .projectorType) ?? "linear"
        guard ["linear", "mlp2x_gelu"].contains(projectorType) else {
            throw DecodingError.dataCorruptedError(forKey: .projectorType, in: c,
                debugDescription: "'\(projectorType)' is not supported (linear, mlp2x_gelu)")
        }
        imageAspectRatio = try c.decodeIfPresent(String.self, forKey: .imageAspectRatio)
        // A list of [width, height] pairs, or LLaVA-NeXT's text form.
        if (try? c.nestedUnkeyedContainer(forKey: .gridPinpoints)) != nil {
            gridPinpoints = try c.decode([[JSONInteger]].self, forKey: .gridPinpoints).map { $0.map(\.value) }
            gridPinpointsText = nil
        } else {
            gridPinpoints = []
            gridPinpointsText = try c.decodeIfPresent(String.self, forKey: .gridPinpoints)
        }
        if try c.decodeIfPresent(Bool.self, forKey: .useImageStartEnd) == true {
            throw DecodingError.dataCorruptedError(forKey: .useImageStartEnd, in: c,
                debugDescription: "checkpoints with image start and end tokens are not supported")
        }
    }
}

/// The config.json of an original-layout checkpoint's separate CLIP tower: a CLIPModel's nests the
/// tower's settings in `vision_config`; a CLIPVisionModel's are the tower's.
struct SeparateVisionTowerConfig: Decodable {
    let vision: VisionConfig

    enum CodingKeys: String, CodingKey { case vision = "vision_config" }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vision = try c.decodeIfPresent(VisionConfig.self, forKey: .vision) ?? VisionConfig(from: decoder)
    }
}
