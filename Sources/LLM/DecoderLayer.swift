import Tensor

/// One LLaMA / Qwen2 decoder layer (transformers' LlamaDecoderLayer, Qwen2DecoderLayer):
///   x = x + o_proj(attention(RoPE(q_proj(n)), RoPE(k_proj(n)), v_proj(n))),  n = input_layernorm(x)
///   x = x + down_proj(act(gate_proj(m)) ⊙ up_proj(m)),                       m = post_attention_layernorm(x)
public struct DecoderLayer: Sendable {
    public let inputNorm: [Float]          // [D]
    public let qProj: Linear               // [H·d, D] (+ bias for Qwen2)
    public let kProj: Linear               // [Hkv·d, D]
    public let vProj: Linear               // [Hkv·d, D]
    public let oProj: Linear               // [D, H·d]
    public let postAttentionNorm: [Float]  // [D]
    public let gateProj: Linear            // [I, D]
    public let upProj: Linear              // [I, D]
    public let downProj: Linear            // [D, I]

    public init(config c: TextConfig, weights w: WeightSource) throws {
        let d = c.hiddenSize
        inputNorm = try w.vector("input_layernorm.weight", d)
        qProj = try Linear(w, "self_attn.q_proj", out: c.qDim, in: d, bias: c.qkvBias)
        kProj = try Linear(w, "self_attn.k_proj", out: c.kvDim, in: d, bias: c.qkvBias)
        vProj = try Linear(w, "self_attn.v_proj", out: c.kvDim, in: d, bias: c.qkvBias)
        oProj = try Linear(w, "self_attn.o_proj", out: d, in: c.qDim, bias: c.outputBias)
        postAttentionNorm = try w.vector("post_attention_layernorm.weight", d)
        gateProj = try Linear(w, "mlp.gate_proj", out: c.intermediateSize, in: d, bias: c.mlpBias)
        upProj = try Linear(w, "mlp.up_proj", out: c.intermediateSize, in: d, bias: c.mlpBias)
        downProj = try Linear(w, "mlp.down_proj", out: d, in: c.intermediateSize, bias: c.mlpBias)
    }
}
