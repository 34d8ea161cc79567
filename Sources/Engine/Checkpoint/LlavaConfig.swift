import ConfigDecoding
import Foundation
import Tensor
import ViT

/// The LLaVA-specific fields of `config.json` (transformers' LlavaConfig), with its defaults
/// (transformers/models/llava/configuration_llava.py).
struct LlavaConfig: Decodable {
    var vision: VisionConfig
    var imageTokenId: Int
    var projectorActivation: Activation
    /// `hidden_states` indices to take features from (one, or several concatenated).
    var featureLayers: [Int]
    var keepClassToken: Bool
    var projectorBias: Bool

    /// The projector's layer names in the checkpoint (transformers' or the original repository's).
    var projectorNames: (first: String, second: String?) = ("linear_1", "linear_2")

    init(vision: VisionConfig, imageTokenId: Int, projectorActivation: Activation, featureLayers: [Int],
         keepClassToken: Bool, projectorBias: Bool, projectorNames: (first: String, second: String?)) {
        self.vision = vision
        self.imageTokenId = imageTokenId
        self.projectorActivation = projectorActivation
        self.featureLayers = featureLayers.map { $0 < 0 ? vision.layerCount + 1 + $0 : $0 }
        self.keepClassToken = keepClassToken
        self.projectorBias = projectorBias
        self.projectorNames = projectorNames
    }

    enum CodingKeys: String, CodingKey {
        case vision = "vision_config"
        case imageTokenIndex = "image_token_index", imageTokenId = "image_token_id"
        case projectorActivation = "projector_hidden_act"
        case featureLayer = "vision_feature_layer"
        case selectStrategy = "vision_feature_select_strategy"
        case projectorBias = "multimodal_projector_bias"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vision = try c.decodeIfPresent(VisionConfig.self, forKey: .vision) ?? Self.defaultVision
        imageTokenId = try c.integerIfPresent(.imageTokenId) ?? c.integerIfPresent(.imageTokenIndex) ?? 32000
        projectorActivation = try c.decodeIfPresent(Activation.self, forKey: .projectorActivation) ?? .gelu
        featureLayers = try c.integerListIfPresent(.featureLayer) ?? [-2]
        let strategy = try c.decodeIfPresent(String.self, forKey: .selectStrategy) ?? "default"
        switch strategy {
        case "default": keepClassToken = false
        case "full": keepClassToken = true
        default:
            throw DecodingError.dataCorruptedError(forKey: .selectStrategy, in: c,
                debugDescription: "unknown vision_feature_select_strategy '\(strategy)' (expected default or full)")
        }
        projectorBias = try c.decodeIfPresent(Bool.self, forKey: .projectorBias) ?? true
        // Negative layers count from the end of the hidden_states tuple (L + 1 entries).
        let count = vision.layerCount + 1
        featureLayers = try featureLayers.map { layer in
            let index = layer < 0 ? count + layer : layer
            guard index >= 0 && index < count else {
                throw DecodingError.dataCorruptedError(forKey: .featureLayer, in: c,
                    debugDescription: "vision_feature_layer \(layer) is outside the tower's \(count) hidden states")
            }
            return index
        }
    }

    /// The tower LlavaConfig builds when `vision_config` is absent or null: a CLIP ViT-L/14 at 336 px.
    static let defaultVision = try! JSONDecoder().decode(VisionConfig.self, from: Data("""
        {"model_type": "clip_vision_model", "intermediate_size": 4096, "hidden_size": 1024, "patch_size": 14,
         "image_size": 336, "num_hidden_layers": 24, "num_attention_heads": 16}
        """.utf8))

}
