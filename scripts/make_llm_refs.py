#!/usr/bin/env python3
"""Tiny random LLaMA / Qwen2 decoder checkpoints and their transformers reference outputs.

Produces, under Tests/LLMTests/Fixtures/, one directory per model:

  tiny-llama-gqa/          LlamaForCausalLM, vocab 256, hidden 64, 3 layers, 4 heads / 2 KV heads (GQA),
                           intermediate 128, rope_theta 500000, rms_norm_eps 1e-5, separate lm_head, F32
  tiny-llama-headdim/      LlamaForCausalLM, hidden 48, 4 heads with explicit head_dim 16 (!= 48/4),
                           2 layers, F16 on disk; config.json is stripped to the bare minimum so that
                           transformers' defaults apply (rms_norm_eps 1e-6, rope_theta 10000,
                           num_key_value_heads = num_attention_heads, tie_word_embeddings false,
                           hidden_act silu, ...) and uses the legacy "torch_dtype" key
  tiny-qwen2/              Qwen2ForCausalLM, q/k/v biases, tied embeddings (no lm_head in the file),
                           GQA (4 heads / 2 KV heads), BF16 on disk, rope_theta 1e6 written the way
                           transformers 5 writes it: "rope_parameters": {"rope_theta": ..., "rope_type": "default"}
  tiny-qwen2-rope-theta/   the same weights, config.json with the older top-level "rope_theta" form
                           (and "torch_dtype" instead of "dtype")

Each directory holds
  config.json, model.safetensors, generation_config.json   the checkpoint
  reference.json          {"model_type", "dtype_on_disk", "prompt_ids": [12 ids],
                           "generated_ids": [32 ids], "eos_token_ids", "max_new_tokens": 32,
                           "min_new_tokens": 32, "step_margins", "transformers_version", "torch_version",
                           "tensors": {name: shape}}
                          generated_ids come from generate(do_sample=False, max_new_tokens=32,
                          min_new_tokens=32): min_new_tokens makes generate set the EOS logits to -inf,
                          so to reproduce them take the argmax with eos_token_ids excluded.
                          step_margins: per generated token, top-1 minus top-2 logit (EOS excluded).
  reference.safetensors   float32 tensors (T = 12 prompt tokens, V = vocab, L = layers, D = hidden):
    logits                [T, V]   full forward over prompt_ids, every position
    logits_step1          [V]      logits at the last position of a forward over prompt_ids + [generated_ids[0]]
                                   (= what a decode step after prefill must give)
    hidden_states.{i}     [T, D]   i = 0..L: the residual stream entering layer i (hidden_states.0 = the
                                   token embeddings; hidden_states.L = output of the last layer, before
                                   the final norm). transformers' output_hidden_states[0..L-1], plus the
                                   last layer's output taken with a hook.
    normed_hidden         [T, D]   after model.norm (transformers' output_hidden_states[L]); logits = lm_head(it)

Every parameter is random (seeded torch.manual_seed): projections normal(0, 0.1), embeddings / lm_head
normal(0, 0.5), biases normal(0, 0.1), norm weights 1 + 0.1*normal, so no weight is 0 or 1 by accident
(tiny-qwen2: embeddings 0.2, q/k/v/gate/up 0.15, o/down 0.3, so that its tied lm_head does not just
repeat the last token).
The checkpoint is saved in its on-disk dtype and loaded back with transformers in float32 before the
references are computed, so the references are those of the weights as stored.

Re-run (needs torch + transformers; NOT run by CI, its outputs are committed):
  python3 scripts/make_llm_refs.py [OUT_DIR]     (default: Tests/LLMTests/Fixtures)
The outputs are byte-identical across re-runs on the same torch/transformers versions (single-threaded).
"""

import json
import os
import shutil
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import (AutoModelForCausalLM, GenerationConfig, LlamaConfig, LlamaForCausalLM,
                          Qwen2Config, Qwen2ForCausalLM)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "LLMTests", "Fixtures")
PROMPT_IDS = [1, 72, 101, 108, 108, 111, 44, 32, 119, 5, 250, 33]
NEW_TOKENS = 32
BOS, EOS = 1, 2


def randomise(model, seed, embed_std=0.5, proj_std=0.1, out_std=0.1):
    """Overwrite every parameter with seeded random values (nothing left at 0 or 1).

    out_std is for o_proj / down_proj, the projections that write into the residual stream.
    """
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "embed_tokens" in name or name.startswith("lm_head"):
                p.copy_(embed_std * torch.randn_like(p))
            elif "o_proj" in name or "down_proj" in name:
                p.copy_(out_std * torch.randn_like(p))
            else:
                p.copy_(proj_std * torch.randn_like(p))


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def save_checkpoint(model, out_dir, dtype):
    model.generation_config = GenerationConfig(bos_token_id=BOS, eos_token_id=EOS, pad_token_id=EOS)
    shutil.rmtree(out_dir, ignore_errors=True)
    model.to(dtype).save_pretrained(out_dir)
    model.to(torch.float32)
    for f in os.listdir(out_dir):
        if f not in ("config.json", "model.safetensors", "generation_config.json"):
            raise RuntimeError(f"unexpected file {f} in {out_dir}")


def edit_config(out_dir, edit):
    path = os.path.join(out_dir, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    cfg = edit(cfg)
    write_json(path, cfg)


def compute_reference(out_dir):
    """Load the saved checkpoint back in float32 and write reference.json / reference.safetensors."""
    model = AutoModelForCausalLM.from_pretrained(
        out_dir, dtype=torch.float32, attn_implementation="eager").eval()
    cfg = model.config
    n_layers = cfg.num_hidden_layers
    eos_ids = model.generation_config.eos_token_id
    eos_ids = eos_ids if isinstance(eos_ids, list) else [eos_ids]
    x = torch.tensor([PROMPT_IDS])

    layer_outputs = []
    hook = model.model.layers[-1].register_forward_hook(
        lambda mod, inp, out: layer_outputs.append(out[0] if isinstance(out, tuple) else out))
    with torch.no_grad():
        out = model(x, output_hidden_states=True)
    hook.remove()
    hs = out.hidden_states
    assert len(hs) == n_layers + 1
    tensors = {"logits": out.logits[0]}
    for i in range(n_layers):
        tensors[f"hidden_states.{i}"] = hs[i][0]
    tensors[f"hidden_states.{n_layers}"] = layer_outputs[0][0]
    tensors["normed_hidden"] = hs[n_layers][0]
    assert torch.allclose(model.model.norm(layer_outputs[0]), hs[n_layers], atol=1e-6)

    with torch.no_grad():
        gen = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False,
                             max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                             eos_token_id=eos_ids, pad_token_id=model.generation_config.pad_token_id,
                             return_dict_in_generate=True, output_logits=True)
        gen_ids = gen.sequences[0, len(PROMPT_IDS):].tolist()
        x1 = torch.tensor([PROMPT_IDS + gen_ids[:1]])
        tensors["logits_step1"] = model(x1).logits[0, -1]
    assert len(gen_ids) == NEW_TOKENS

    margins = []
    for step, raw in enumerate(gen.logits):
        logits = raw[0].clone().float()
        logits[eos_ids] = float("-inf")
        top = torch.topk(logits, 2)
        assert int(top.indices[0]) == gen_ids[step]
        margins.append(round(float(top.values[0] - top.values[1]), 5))

    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in tensors.items()}
    save_file(tensors, os.path.join(out_dir, "reference.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out_dir, "config.json")) as f:
        disk_dtype = sorted({str(t.dtype).replace("torch.", "") for t in
                             load_file(os.path.join(out_dir, "model.safetensors")).values()})
    ref = {
        "model_type": cfg.model_type,
        "dtype_on_disk": disk_dtype[0] if len(disk_dtype) == 1 else disk_dtype,
        "prompt_ids": PROMPT_IDS,
        "generated_ids": gen_ids,
        "eos_token_ids": eos_ids,
        "max_new_tokens": NEW_TOKENS,
        "min_new_tokens": NEW_TOKENS,
        "step_margins": margins,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
    }
    write_json(os.path.join(out_dir, "reference.json"), ref)
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"{os.path.basename(out_dir)}: {size // 1024} KB, rope {cfg.rope_parameters}, "
          f"eps {cfg.rms_norm_eps}, heads {cfg.num_attention_heads}/{cfg.num_key_value_heads} "
          f"x {getattr(cfg, 'head_dim', None)}, tied {cfg.tie_word_embeddings}, "
          f"min margin {min(margins):.4f}, generated {gen_ids[:8]}...")
    return model, tensors, ref


def tiny_llama_gqa(out_root):
    cfg = LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
                      num_attention_heads=4, num_key_value_heads=2, rope_theta=500000.0,
                      rms_norm_eps=1e-5, max_position_embeddings=256, tie_word_embeddings=False,
                      bos_token_id=BOS, eos_token_id=EOS)
    model = LlamaForCausalLM(cfg)
    randomise(model, seed=1)
    out_dir = os.path.join(out_root, "tiny-llama-gqa")
    save_checkpoint(model, out_dir, torch.float32)
    compute_reference(out_dir)


def tiny_llama_headdim(out_root):
    cfg = LlamaConfig(vocab_size=256, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, head_dim=16,
                      tie_word_embeddings=False, bos_token_id=BOS, eos_token_id=EOS)
    model = LlamaForCausalLM(cfg)
    randomise(model, seed=2)
    out_dir = os.path.join(out_root, "tiny-llama-headdim")
    save_checkpoint(model, out_dir, torch.float16)
    # Keep only what has no default; everything else must come from transformers' LlamaConfig defaults.
    keep = ["architectures", "model_type", "vocab_size", "hidden_size", "intermediate_size",
            "num_hidden_layers", "num_attention_heads", "head_dim", "bos_token_id", "eos_token_id"]
    edit_config(out_dir, lambda c: {**{k: c[k] for k in keep}, "torch_dtype": "float16"})
    model, _, _ = compute_reference(out_dir)
    c = model.config
    assert (c.rms_norm_eps, c.rope_parameters["rope_theta"], c.num_key_value_heads,
            c.tie_word_embeddings, c.head_dim) == (1e-6, 10000.0, 4, False, 16), c


def tiny_qwen2(out_root):
    cfg = Qwen2Config(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, rope_theta=1000000.0,
                      rms_norm_eps=1e-6, max_position_embeddings=256, tie_word_embeddings=True,
                      bos_token_id=BOS, eos_token_id=EOS)
    model = Qwen2ForCausalLM(cfg)
    # Tied embeddings: with the default scales the last token's own embedding dominates the residual
    # stream, so lm_head picks the same token forever. Smaller embeddings and stronger layer outputs
    # give a varied greedy sequence (20 distinct ids in 32).
    randomise(model, seed=3, embed_std=0.2, proj_std=0.15, out_std=0.3)
    out_dir = os.path.join(out_root, "tiny-qwen2")
    save_checkpoint(model, out_dir, torch.bfloat16)
    keys = load_file(os.path.join(out_dir, "model.safetensors")).keys()
    assert "lm_head.weight" not in keys and "model.layers.0.self_attn.q_proj.bias" in keys, sorted(keys)
    _, tensors, ref = compute_reference(out_dir)

    # The same weights with the older config form: top-level rope_theta, torch_dtype.
    alt_dir = os.path.join(out_root, "tiny-qwen2-rope-theta")
    shutil.rmtree(alt_dir, ignore_errors=True)
    os.makedirs(alt_dir)
    for f in ("model.safetensors", "generation_config.json", "config.json"):
        shutil.copyfile(os.path.join(out_dir, f), os.path.join(alt_dir, f))

    def legacy(c):
        rope = c.pop("rope_parameters")
        assert rope == {"rope_theta": 1000000.0, "rope_type": "default"}, rope
        c["rope_theta"] = rope["rope_theta"]
        c["torch_dtype"] = c.pop("dtype")
        return c

    edit_config(alt_dir, legacy)
    alt_model, alt_tensors, alt_ref = compute_reference(alt_dir)
    assert alt_model.config.rope_parameters["rope_theta"] == 1000000.0
    assert alt_ref["generated_ids"] == ref["generated_ids"]
    assert all(torch.equal(alt_tensors[k], tensors[k]) for k in tensors)


def main(out_root=OUT):
    torch.set_num_threads(1)  # fixed reduction order: re-runs give byte-identical references
    os.makedirs(out_root, exist_ok=True)
    tiny_llama_gqa(out_root)
    tiny_llama_headdim(out_root)
    tiny_qwen2(out_root)


if __name__ == "__main__":
    main(*sys.argv[1:2])
