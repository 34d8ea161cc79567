import ConfigDecoding
import Foundation
import Tensor

/// The decoder's `config.json` (or a LLaVA config's `text_config`), with transformers' defaults
/// for omitted fields. Defaults differ by family: see LlamaConfig and Qwen2Config in
/// transformers/models/{llama,qwen2}/configuration_*.py. A field of the wrong type is an error
/// naming it, never its default.
public struct TextConfig: Decodable, Sendable {
    public enum Family: String, Sendable { case llama, qwen2 }

    public var family: Family
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var hiddenAct: Activation
    public var maxPositions: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var ropeScaling: RopeScaling
    /// Qwen2 always has q/k/v biases; LLaMA has them (and an o_proj bias) when `attention_bias`.
    public var qkvBias: Bool
    public var outputBias: Bool
    public var mlpBias: Bool
    public var tieWordEmbeddings: Bool
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case kvHeadCount = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenAct = "hidden_act"
        case maxPositions = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
    }

    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, family: nil, tieWordEmbeddingsDefault: false)
    }

    /// `family`: the decoder family when `model_type` names something else (the original LLaVA
    /// layout keeps the decoder's fields beside model_type "llava_llama"); nil reads model_type.
    /// `tieWordEmbeddingsDefault`: the value when the file leaves tie_word_embeddings out (older
    /// LLaVA configs keep it at their top level, outside text_config).
    public init(from decoder: Decoder, family: Family?, tieWordEmbeddingsDefault: Bool) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let family {
            self.family = family
        } else {
            let modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
            switch modelType {
            case "llama", "mistral": self.family = .llama
            case "qwen2": self.family = .qwen2
            default:
                throw DecodingError.dataCorruptedError(forKey: .modelType, in: c,
                    debugDescription: "unsupported text model_type '\(modelType)' (supported: llama, qwen2)")
            }
        }
        let isQwen = self.family == .qwen2
        vocabSize = try c.integerIfPresent(.vocabSize) ?? (isQwen ? 151936 : 32000)
        hiddenSize = try c.integerIfPresent(.hiddenSize) ?? 4096
        intermediateSize = try c.integerIfPresent(.intermediateSize) ?? (isQwen ? 22016 : 11008)
        layerCount = try c.integerIfPresent(.layerCount) ?? 32
        headCount = try c.integerIfPresent(.headCount) ?? 32
        // Qwen2Config's num_key_value_heads defaults to 32; LlamaConfig's to num_attention_heads.
        kvHeadCount = try c.integerIfPresent(.kvHeadCount) ?? (isQwen ? 32 : headCount)
        headDim = try c.integerIfPresent(.headDim) ?? (headCount > 0 ? hiddenSize / headCount : 0)  // 0 heads: an error below
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? .silu
        maxPositions = try c.integerIfPresent(.maxPositions) ?? (isQwen ? 32768 : 2048)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6
        let attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        qkvBias = isQwen || attentionBias
        outputBias = !isQwen && attentionBias
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? tieWordEmbeddingsDefault
        // LlamaConfig has bos 1 and eos 2 unless the file says otherwise (null included); Qwen2Config none.
        bosTokenId = c.contains(.bosTokenId) ? try c.integerIfPresent(.bosTokenId) : (isQwen ? nil : 1)
        eosTokenIds = c.contains(.eosTokenId) ? try c.integerListIfPresent(.eosTokenId) ?? [] : (isQwen ? [] : [2])

        for (value, key) in [(vocabSize, CodingKeys.vocabSize), (hiddenSize, .hiddenSize), (intermediateSize, .intermediateSize),
                             (layerCount, .layerCount), (headCount, .headCount), (kvHeadCount, .kvHeadCount), (headDim, .headDim),
                             (maxPositions, .maxPositions)] where value <= 0 {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be positive, got \(value)")
        }
        guard headCount % kvHeadCount == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .kvHeadCount, in: c,
                debugDescription: "num_attention_heads \(headCount) is not a multiple of num_key_value_heads \(kvHeadCount)")
        }
        guard headDim % 2 == 0 else {
            throw DecodingError.dataCorruptedError(forKey: .headDim, in: c, debugDescription: "RoPE needs an even head_dim, got \(headDim)")
        }

        // transformers ≥ 5 nests RoPE settings in `rope_parameters`; older configs use
        // `rope_theta` + `rope_scaling`. Either may carry the type and factors.
        let parameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        let scaling = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling)
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? parameters?.ropeTheta ?? 10000
        let rope = scaling ?? parameters
        switch rope?.type ?? "default" {
        case "default": ropeScaling = .none
        case "linear": ropeScaling = .linear(factor: rope?.factor ?? 1)
        case "llama3":
            ropeScaling = .llama3(factor: rope?.factor ?? 8, lowFrequencyFactor: rope?.lowFrequencyFactor ?? 1,
                                  highFrequencyFactor: rope?.highFrequencyFactor ?? 4,
                                  originalMaxPositions: rope?.originalMaxPositions ?? 8192)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .ropeScaling, in: c,
                debugDescription: "unsupported rope type '\(other)' (supported: default, linear, llama3)")
        }
    }

    public var kvDim: Int { kvHeadCount * headDim }
    public var qDim: Int { headCount * headDim }
}

/// `rope_parameters` (transformers ≥ 5) or `rope_scaling` (older): both spell the type as
/// `rope_type` (older files sometimes `type`).
struct RopeParameters: Decodable {
    var type: String?
    var ropeTheta: Float?
    var factor: Float?
    var lowFrequencyFactor: Float?
    var highFrequencyFactor: Float?
    var originalMaxPositions: Int?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", type
        case ropeTheta = "rope_theta", factor
        case lowFrequencyFactor = "low_freq_factor"
        case highFrequencyFactor = "high_freq_factor"
        case originalMaxPositions = "original_max_position_embeddings"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type)
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta)
        factor = try c.decodeIfPresent(Float.self, forKey: .factor)
        lowFrequencyFactor = try c.decodeIfPresent(Float.self, forKey: .lowFrequencyFactor)
        highFrequencyFactor = try c.decodeIfPresent(Float.self, forKey: .highFrequencyFactor)
        originalMaxPositions = try c.integerIfPresent(.originalMaxPositions)
    }
}
