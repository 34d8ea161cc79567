import Tensor

/// One pre-norm transformer block of a CLIP or SigLIP tower (CLIPEncoderLayer, SiglipEncoderLayer):
///   x = x + out_proj(attention(q_proj(n), k_proj(n), v_proj(n))),  n = layer_norm1(x)
///   x = x + fc2(act(fc1(layer_norm2(x))))
public struct VisionEncoderLayer: Sendable {
    public let norm1Weight: [Float], norm1Bias: [Float]  // [C]
    public let qProj: Linear    // [C, C] + bias
    public let kProj: Linear    // [C, C] + bias
    public let vProj: Linear    // [C, C] + bias
    public let outProj: Linear  // [C, C] + bias
    public let norm2Weight: [Float], norm2Bias: [Float]  // [C]
    public let fc1: Linear      // [I, C] + bias
    public let fc2: Linear      // [C, I] + bias

    public init(config c: VisionConfig, weights w: WeightSource) throws {
        let d = c.hiddenSize
        norm1Weight = try w.vector("layer_norm1.weight", d)
        norm1Bias = try w.vector("layer_norm1.bias", d)
        qProj = try Linear(w, "self_attn.q_proj", out: d, in: d, bias: true)
        kProj = try Linear(w, "self_attn.k_proj", out: d, in: d, bias: true)
        vProj = try Linear(w, "self_attn.v_proj", out: d, in: d, bias: true)
        outProj = try Linear(w, "self_attn.out_proj", out: d, in: d, bias: true)
        norm2Weight = try w.vector("layer_norm2.weight", d)
        norm2Bias = try w.vector("layer_norm2.bias", d)
        fc1 = try Linear(w, "mlp.fc1", out: c.intermediateSize, in: d, bias: true)
        fc2 = try Linear(w, "mlp.fc2", out: d, in: c.intermediateSize, bias: true)
    }
}
