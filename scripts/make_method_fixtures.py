#!/usr/bin/env python3
"""Fixtures for the end-to-end tests of the methods:

1. Tests/EngineTests/Fixtures/simple/flat_blue_64x64.png: a flat colour image, the simplest input
   DyMU can get (its tokens should merge the most).
2. Tests/EngineTests/Fixtures/tiny-llava-proxyv/: a tiny LLaVA checkpoint that carries ProxyV,
   and tiny-llava-proxyv-learned/: the same with ProxyV's learned-query proxies (learn_proxy).
3. Tests/EngineTests/Fixtures/tiny-llava-proxyv-original/ + tiny-clip-tower/: the same weights as
   tiny-llava-proxyv in the original LLaVA repository's layout (the one ProxyV's release uses):
   model.layers.*, model.mm_projector.{0,2}.*, model.vision_mlp_layers.*, model.image_newline,
   lm_head.*, top-level LLaMA config with mm_* fields, and the CLIP tower as its own checkpoint
   (vision_model.*, CLIPVisionConfig), named by mm_vision_tower.

ProxyV is not in transformers and its authors released only a 7B checkpoint, so there is no small
real one. This script takes the tiny LLaVA fixture tiny-llava-clip-llama (made by
scripts/make_llava_refs.py: CLIP 56px/14 -> 16 patches, a 2-layer LLaMA with hidden 64) and adds
what a ProxyV checkpoint has (METHODS.md section 3):
  config.json: proxyv, proxyv_start_layer (1 = half of the 2 layers), proxyv_reduce_factor 2
               (a 4x4 grid -> 2x2 = 4 proxies), per_crop_token_len 16, learn_proxy false
  tensors:     model.vision_mlp_layers.{i}.{context_proj,input_proj,proj.0,proj.2,layernorm_post}.weight
               and model.image_newline, seeded random (d_i = D/2 = 32 for D < 1024).
The numerics of ProxyV are tested against the authors' code in ../shared/reference; this fixture
exercises loading and the whole `vlm ask` path. Needs numpy and safetensors; deterministic.

Usage: python3 scripts/make_method_fixtures.py (needs Pillow too, for the PNG)
"""
import json
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "Tests/EngineTests/Fixtures/tiny-llava-clip-llama"
FIXTURES = ROOT / "Tests/EngineTests/Fixtures"
START_LAYER, REDUCE_FACTOR, TOKENS_PER_CROP = 1, 2, 16


def flat_image():
    from PIL import Image
    path = ROOT / "Tests/EngineTests/Fixtures/simple/flat_blue_64x64.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), (90, 140, 200)).save(path)
    print(f"wrote {path}")


def main():
    flat_image()
    proxyv_checkpoint(FIXTURES / "tiny-llava-proxyv", learn_proxy=False)
    proxyv_checkpoint(FIXTURES / "tiny-llava-proxyv-learned", learn_proxy=True)
    original_layout(FIXTURES / "tiny-llava-proxyv", FIXTURES / "tiny-llava-proxyv-original", FIXTURES / "tiny-clip-tower")


def original_layout(source, target, tower):
    """Re-keys a transformers-layout LLaVA checkpoint into the original repository's layout."""
    for directory in (target, tower):
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
    config = json.loads((source / "config.json").read_text())
    tensors = load_file(str(source / "model.safetensors"))
    model, vision = {}, {}
    for key, value in tensors.items():
        if key.startswith("model.language_model."):
            model["model." + key[len("model.language_model."):]] = value
        elif key.startswith("model.multi_modal_projector.linear_1."):
            model["model.mm_projector.0." + key.rsplit(".", 1)[1]] = value
        elif key.startswith("model.multi_modal_projector.linear_2."):
            model["model.mm_projector.2." + key.rsplit(".", 1)[1]] = value
        elif key.startswith("model.vision_tower."):
            vision["vision_model." + key[len("model.vision_tower."):].removeprefix("vision_model.")] = value
        else:  # lm_head.*, model.vision_mlp_layers.*, model.image_newline
            model[key] = value
    save_file(dict(sorted(model.items())), str(target / "model.safetensors"), metadata={"format": "pt"})
    save_file(dict(sorted(vision.items())), str(tower / "model.safetensors"), metadata={"format": "pt"})

    text = config["text_config"]
    original = {k: v for k, v in text.items() if k not in ("model_type", "architectures")}
    original.update(
        architectures=["LlavaLlamaForCausalLM"], model_type="llava_llama",
        mm_vision_tower="tiny-clip-tower", mm_projector_type="mlp2x_gelu", mm_hidden_size=config["vision_config"]["hidden_size"],
        mm_vision_select_layer=config["vision_feature_layer"], mm_vision_select_feature="patch",
        mm_use_im_start_end=False, mm_use_im_patch_token=False, mm_patch_merge_type="flat",
        mm_newline_position="one_token", tokenizer_model_max_length=2048,
        proxyv=True, proxyv_start_layer=config["proxyv_start_layer"], proxyv_reduce_factor=config["proxyv_reduce_factor"],
        per_crop_token_len=config["per_crop_token_len"], learn_proxy=False,
        num_of_vision_mlp_layers=config["num_of_vision_mlp_layers"])
    (target / "config.json").write_text(json.dumps(original, indent=2) + "\n")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"):
        shutil.copy(source / name, target / name)
    # The original repository has no chat template in the checkpoint: it uses its own conversation templates.
    tokenizer_config = json.loads((target / "tokenizer_config.json").read_text())
    tokenizer_config.pop("chat_template", None)
    (target / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")

    vision_config = dict(config["vision_config"], model_type="clip_vision_model", architectures=["CLIPVisionModel"])
    (tower / "config.json").write_text(json.dumps(vision_config, indent=2) + "\n")
    shutil.copy(source / "preprocessor_config.json", tower / "preprocessor_config.json")
    print(f"wrote {target} and {tower}")


def proxyv_checkpoint(TARGET, learn_proxy):
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    for path in SOURCE.iterdir():
        if path.name not in ("model.safetensors", "config.json", "reference.json", "reference.safetensors"):
            shutil.copy(path, TARGET / path.name)

    config = json.loads((SOURCE / "config.json").read_text())
    layers = config["text_config"]["num_hidden_layers"]
    hidden = config["text_config"]["hidden_size"]
    config.update(proxyv=True, proxyv_start_layer=START_LAYER, proxyv_reduce_factor=REDUCE_FACTOR,
                  per_crop_token_len=TOKENS_PER_CROP, learn_proxy=learn_proxy,
                  num_of_vision_mlp_layers=layers - START_LAYER)
    (TARGET / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    tensors = load_file(str(SOURCE / "model.safetensors"))
    rng = np.random.RandomState(2505)
    inner = hidden // 4 if hidden >= 1024 else hidden // 2

    def weight(rows, cols):
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    for i in range(layers - START_LAYER):
        prefix = f"model.vision_mlp_layers.{i}."
        tensors[prefix + "context_proj.weight"] = weight(inner, hidden)
        tensors[prefix + "input_proj.weight"] = weight(inner, hidden)
        tensors[prefix + "proj.0.weight"] = weight(inner, 2 * inner)
        tensors[prefix + "proj.2.weight"] = weight(hidden, inner)
        tensors[prefix + "layernorm_post.weight"] = (1 + 0.1 * rng.standard_normal(hidden)).astype(np.float32)
    tensors["model.image_newline"] = (0.5 * rng.standard_normal(hidden)).astype(np.float32)
    if learn_proxy:
        # ProxyInitializer: Wk [d_h, D] (no bias) and the learned queries [T / f^2, d_h], d_h = D/2 for D < 1024.
        head = hidden // 4 if hidden >= 1024 else hidden // 2
        tensors["model.proxyv_initializer.Wk.weight"] = weight(head, hidden)
        tensors["model.proxyv_initializer.proxyv_tokens"] = (rng.standard_normal(
            (TOKENS_PER_CROP // REDUCE_FACTOR ** 2, head)) / np.sqrt(4 * head)).astype(np.float32)
    save_file(dict(sorted(tensors.items())), str(TARGET / "model.safetensors"), metadata={"format": "pt"})
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
