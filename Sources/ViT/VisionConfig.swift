import ConfigDecoding
import Tensor

/// A LLaVA checkpoint's `vision_config` (CLIPVisionConfig or SiglipVisionConfig) with
/// transformers' defaults for omitted fields. A `vision_config` without `model_type` is CLIP,
/// as LlavaConfig assumes.
public struct VisionConfig: Decodable, Sendable {
    public enum Family: String, Sendable { case clip, siglip }

    public var family: Family
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var channels: Int
    public var imageSize: Int
    public var patchSize: Int
    public var hiddenAct: Activation
    public var layerNormEps: Float

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case channels = "num_channels"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "clip_vision_model"
        switch modelType {
        case "clip_vision_model", "clip": family = .clip
        case "siglip_vision_model", "siglip": family = .siglip
        default:
            throw DecodingError.dataCorruptedError(forKey: .modelType, in: c,
                debugDescription: "unsupported vision model_type '\(modelType)' (supported: clip_vision_model, siglip_vision_model)")
        }
        let isCLIP = family == .clip
        hiddenSize = try c.integerIfPresent(.hiddenSize) ?? 768
        intermediateSize = try c.integerIfPresent(.intermediateSize) ?? 3072
        layerCount = try c.integerIfPresent(.layerCount) ?? 12
        headCount = try c.integerIfPresent(.headCount) ?? 12
        channels = try c.integerIfPresent(.channels) ?? 3
        imageSize = try c.integerIfPresent(.imageSize) ?? 224
        patchSize = try c.integerIfPresent(.patchSize) ?? (isCLIP ? 32 : 16)
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? (isCLIP ? .quickGelu : .geluPytorchTanh)
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? (isCLIP ? 1e-5 : 1e-6)
        for (value, key) in [(hiddenSize, CodingKeys.hiddenSize), (intermediateSize, .intermediateSize), (layerCount, .layerCount),
                             (headCount, .headCount), (channels, .channels), (imageSize, .imageSize), (patchSize, .patchSize)] where value <= 0 {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be positive, got \(value)")
        }
        guard hiddenSize % headCount == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .headCount, in: c,
                debugDescription: "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
        guard imageSize % patchSize == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .patchSize, in: c,
                debugDescription: "image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
    }

    /// CLIP prepends a class token; SigLIP has none.
    public var hasClassToken: Bool { family == .clip }
    public var patchesPerSide: Int { imageSize / patchSize }
    public var patchCount: Int { patchesPerSide * patchesPerSide }
    public var tokenCount: Int { patchCount + (hasClassToken ? 1 : 0) }
    public var headDim: Int { hiddenSize / headCount }
}
