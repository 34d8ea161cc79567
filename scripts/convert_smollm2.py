#!/usr/bin/env python3
"""Convert a llama-architecture GGUF file (SmolLM2-135M-Instruct, Q4_1) to a HF checkpoint.

Produces, in OUT_DIR:
  config.json             LlamaForCausalLM config; every architecture field read from the GGUF metadata
  model.safetensors       F32 weights with HF key names (dequantised; no lm_head: embeddings are tied)
  generation_config.json  bos / eos / pad ids

The tokenizer files (tokenizer.json, tokenizer_config.json) are NOT made here; scripts/gguf_tokenizer.py
makes them. scripts/setup_smollm2.sh runs both.

Re-run:
  python3 scripts/convert_smollm2.py fixtures-cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf weights/smollm2-135m-instruct

Needs only numpy, gguf and safetensors (no torch). The output is deterministic: the same GGUF gives a
byte-identical model.safetensors (its SHA-256 is printed, and recorded by scripts/make_smollm2_refs.py).

GGUF notes (checked against this file):
  * GGUF lists dims innermost-first (ne0 = columns); GGUFReader's tensor.data and gguf.quants.dequantize
    give numpy arrays in row-major order [rows, cols] = [out_features, in_features], i.e. HF layout.
    token_embd.weight comes out as [vocab, hidden], the layout of model.embed_tokens.weight.
  * llama.cpp's converter permutes the rows of attn_q / attn_k (from HF's rotate-half RoPE layout to
    GGML's interleaved-pairs layout); this is undone per head with
      w.reshape(n_head, rows // n_head // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)
    using head_count for q and head_count_kv for k.
  * There is no output.weight tensor: the output projection is tied to token_embd.
"""

import hashlib
import json
import os
import sys

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType
from gguf.quants import dequantize
from safetensors.numpy import save_file


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        if default is not None:
            return default
        raise KeyError(f"GGUF metadata has no {key!r}")
    return f.contents()


def f32_literal(x):
    """A float32 metadata value as the shortest decimal that round-trips (9.9999997e-06 -> 1e-05)."""
    return float(repr(np.float32(x)).replace("np.float32(", "").rstrip(")"))


def tensor_f32(t):
    """Dequantise one GGUF tensor to a float32 numpy array in row-major HF layout."""
    qtype = GGMLQuantizationType(t.tensor_type)
    if qtype == GGMLQuantizationType.F32:
        arr = np.array(t.data, dtype=np.float32)
    else:
        arr = dequantize(t.data, qtype).astype(np.float32, copy=False)
    shape = tuple(int(d) for d in reversed(t.shape))  # GGUF ne0 is the innermost dim
    return np.ascontiguousarray(arr.reshape(shape))


def unpermute(w, n_head):
    """Undo llama.cpp's Q/K row permutation (GGML interleaved RoPE -> HF rotate-half)."""
    rows, cols = w.shape
    return np.ascontiguousarray(
        w.reshape(n_head, rows // n_head // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols))


# GGUF tensor name (inside blk.{i}.) -> HF key (inside model.layers.{i}.)
LAYER_KEYS = {
    "attn_norm.weight": "input_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_output.weight": "self_attn.o_proj.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}


def convert(gguf_path, out_dir):
    reader = GGUFReader(gguf_path)
    arch = field(reader, "general.architecture")
    if arch != "llama":
        raise ValueError(f"{gguf_path}: architecture {arch!r}, expected 'llama'")

    n_layers = int(field(reader, "llama.block_count"))
    hidden = int(field(reader, "llama.embedding_length"))
    n_head = int(field(reader, "llama.attention.head_count"))
    n_head_kv = int(field(reader, "llama.attention.head_count_kv"))
    head_dim = hidden // n_head
    rope_dim = int(field(reader, "llama.rope.dimension_count", head_dim))
    if rope_dim != head_dim:
        raise ValueError(f"partial rotary (rope dim {rope_dim} != head dim {head_dim}) not supported")

    tensors = {t.name: t for t in reader.tensors}
    vocab = int(field(reader, "llama.vocab_size", 0)) or int(tensors["token_embd.weight"].shape[1])
    tied = "output.weight" not in tensors

    weights = {}

    def put(hf_key, gguf_name, expected_shape, n_perm=None):
        w = tensor_f32(tensors[gguf_name])
        if w.shape != expected_shape:
            raise ValueError(f"{gguf_name}: shape {w.shape}, expected {expected_shape}")
        weights[hf_key] = unpermute(w, n_perm) if n_perm else w

    put("model.embed_tokens.weight", "token_embd.weight", (vocab, hidden))
    put("model.norm.weight", "output_norm.weight", (hidden,))
    if not tied:
        put("lm_head.weight", "output.weight", (vocab, hidden))

    inter = int(field(reader, "llama.feed_forward_length"))
    kv_dim = n_head_kv * head_dim
    shapes = {
        "attn_norm.weight": (hidden,), "ffn_norm.weight": (hidden,),
        "attn_q.weight": (n_head * head_dim, hidden), "attn_k.weight": (kv_dim, hidden),
        "attn_v.weight": (kv_dim, hidden), "attn_output.weight": (hidden, n_head * head_dim),
        "ffn_gate.weight": (inter, hidden), "ffn_up.weight": (inter, hidden),
        "ffn_down.weight": (hidden, inter),
    }
    perm = {"attn_q.weight": n_head, "attn_k.weight": n_head_kv}
    for i in range(n_layers):
        for g, h in LAYER_KEYS.items():
            put(f"model.layers.{i}.{h}", f"blk.{i}.{g}", shapes[g], perm.get(g))

    used = {"token_embd.weight", "output_norm.weight", "output.weight"} | {
        f"blk.{i}.{g}" for i in range(n_layers) for g in LAYER_KEYS}
    unused = sorted(set(tensors) - used)
    if unused:
        raise ValueError(f"unconverted GGUF tensors: {unused[:5]}")

    bos = int(field(reader, "tokenizer.ggml.bos_token_id"))
    eos = int(field(reader, "tokenizer.ggml.eos_token_id"))
    pad = int(field(reader, "tokenizer.ggml.padding_token_id", eos))
    # Every token that ends a turn / a text: the GGUF's eos (<|im_end|> for SmolLM2) and, if the vocab
    # has one, <|endoftext|> (the end-of-document token a raw, un-templated prompt tends to end with).
    tokens = field(reader, "tokenizer.ggml.tokens")
    eos_ids = [eos]
    for name in ("<|im_end|>", "<|endoftext|>"):
        if name in tokens and tokens.index(name) not in eos_ids:
            eos_ids.append(tokens.index(name))

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": inter,
        "num_hidden_layers": n_layers,
        "num_attention_heads": n_head,
        "num_key_value_heads": n_head_kv,
        "head_dim": head_dim,
        "hidden_act": "silu",
        "rms_norm_eps": f32_literal(field(reader, "llama.attention.layer_norm_rms_epsilon")),
        "rope_theta": f32_literal(field(reader, "llama.rope.freq_base", 10000.0)),
        "max_position_embeddings": int(field(reader, "llama.context_length")),
        "vocab_size": vocab,
        "tie_word_embeddings": tied,
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "torch_dtype": "float32",
    }
    generation_config = {
        "bos_token_id": bos,
        "eos_token_id": eos_ids,
        "pad_token_id": pad,
    }

    os.makedirs(out_dir, exist_ok=True)
    st_path = os.path.join(out_dir, "model.safetensors")
    save_file(weights, st_path, metadata={"format": "pt"})
    os.chmod(st_path, 0o644)  # safetensors creates it 0600
    for name, obj in (("config.json", config), ("generation_config.json", generation_config)):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")

    h = hashlib.sha256()
    with open(st_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    n_params = sum(w.size for w in weights.values())
    print(f"wrote {out_dir}: {len(weights)} tensors, {n_params} parameters, "
          f"model.safetensors sha256 {h.hexdigest()}")
    return h.hexdigest()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} MODEL.gguf OUT_DIR")
    convert(sys.argv[1], sys.argv[2])
