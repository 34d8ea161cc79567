#!/usr/bin/env python3
"""Builds weights/llava-smollm2-demo-proxyv/: the demo checkpoint (scripts/build_demo_checkpoint.py)
with ProxyV modules from layer L/2 = 15 of SmolLM2's 30: seeded random VisionMLPs (d_i = D/2 = 288,
as ProxyV sizes them for D < 1024) and an image_newline, factor 4 (24x24 -> 6x6 = 36 proxies per
crop). For timing ProxyV at the papers' vision shape; its answers mean nothing.

The demo's two weight shards are linked, not copied; the ProxyV tensors go in a third shard.
Usage: python3 scripts/build_demo_proxyv_checkpoint.py   (numpy + safetensors; run after setup.sh)
"""
import json
import os
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "weights/llava-smollm2-demo"
TARGET = ROOT / "weights/llava-smollm2-demo-proxyv"
START, FACTOR, TOKENS_PER_CROP = 15, 4, 576


def main():
    if not (SOURCE / "config.json").exists():
        raise SystemExit(f"no demo checkpoint at {SOURCE}: run scripts/setup.sh first")
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    for path in SOURCE.iterdir():
        if path.suffix == ".safetensors":
            os.symlink(path.resolve(), TARGET / path.name)
        elif path.name not in ("config.json", "model.safetensors.index.json"):
            shutil.copy(path, TARGET / path.name)

    config = json.loads((SOURCE / "config.json").read_text())
    text = config["text_config"]
    hidden, layers = text["hidden_size"], text["num_hidden_layers"]
    inner = hidden // 4 if hidden >= 1024 else hidden // 2
    config.update(proxyv=True, proxyv_start_layer=START, proxyv_reduce_factor=FACTOR,
                  per_crop_token_len=TOKENS_PER_CROP, learn_proxy=False, num_of_vision_mlp_layers=layers - START)
    (TARGET / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    rng = np.random.RandomState(1505)

    def weight(rows, cols):
        return (rng.standard_normal((rows, cols)) * 0.02).astype(np.float32)

    tensors = {}
    for i in range(layers - START):
        prefix = f"model.vision_mlp_layers.{i}."
        tensors[prefix + "context_proj.weight"] = weight(inner, hidden)
        tensors[prefix + "input_proj.weight"] = weight(inner, hidden)
        tensors[prefix + "proj.0.weight"] = weight(inner, 2 * inner)
        tensors[prefix + "proj.2.weight"] = weight(hidden, inner)
        tensors[prefix + "layernorm_post.weight"] = np.ones(hidden, dtype=np.float32)
    tensors["model.image_newline"] = (rng.standard_normal(hidden) * 0.02).astype(np.float32)
    save_file(tensors, str(TARGET / "model-proxyv.safetensors"), metadata={"format": "pt"})

    index = json.loads((SOURCE / "model.safetensors.index.json").read_text())
    index["weight_map"].update({name: "model-proxyv.safetensors" for name in tensors})
    (TARGET / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    print(f"wrote {TARGET}: ProxyV from layer {START} of {layers}, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
