#!/usr/bin/env python3
"""Converts DyMU's released threshold checkpoints to vlm's thresholds JSON.

The authors' `threshold_finder.py` saves `{"name": model_name, "state_dict": model.state_dict()}`
with one registered buffer `threshold` per ViT block, e.g.
  visual.transformer.resblocks.{i}.threshold   (open_clip OpenAI CLIP, LLaVA-1.5)
  visual.trunk.blocks.{i}.threshold            (timm / SigLIP)
possibly under a DDP `module.` prefix (released files: HF mikewang/DyMU, e.g. ViT-L-14-336-tome-72out.pth).

This reads the PyTorch zip format without torch (a restricted unpickler that rebuilds the
tensors from the zip's storage records), so it runs wherever numpy does.

Usage: python3 scripts/convert_dymu_thresholds.py CHECKPOINT.pth OUT.json [--merges-per-layer R]
The schedule marks every block as merging (LLaVA-1.5's released configs merge in all 24 blocks);
with --merges-per-layer the JSON records the r it was calibrated with.
"""
import argparse
import json
import pickle
import re
import sys
import zipfile

import numpy as np

DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
          "BFloat16Storage": None, "LongStorage": np.int64, "IntStorage": np.int32}


def load_state(path):
    """The pickled object of a torch.save zip file, with tensors as numpy arrays."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        root = names[0].split("/")[0]

        def storage(kind, key):
            raw = archive.read(f"{root}/data/{key}")
            if kind == "BFloat16Storage":
                return (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
            return np.frombuffer(raw, dtype=DTYPES[kind])

        class Unpickler(pickle.Unpickler):
            def find_class(self, module, name):
                if module == "torch._utils" and name == "_rebuild_tensor_v2":
                    def rebuild(data, offset, size, stride, *unused):
                        if not size:
                            return data[offset:offset + 1].reshape(())
                        return np.lib.stride_tricks.as_strided(
                            data[offset:], shape=size, strides=[s * data.itemsize for s in stride]).copy()
                    return rebuild
                if module == "torch" and name in DTYPES:
                    return name
                if module == "collections" and name == "OrderedDict":
                    import collections
                    return collections.OrderedDict
                raise pickle.UnpicklingError(f"{path}: refusing to load {module}.{name}")

            def persistent_load(self, pid):
                _, kind, key, _, _ = pid
                return storage(kind if isinstance(kind, str) else kind.__name__, key)

        return Unpickler(archive.open(f"{root}/data.pkl")).load()


def thresholds_from_state(state):
    state_dict = state.get("state_dict", state) if isinstance(state, dict) else state
    found = {}
    for key, value in state_dict.items():
        match = re.search(r"(?:resblocks|blocks)\.(\d+)\.threshold$", key)
        if match:
            found[int(match.group(1))] = float(np.asarray(value).reshape(-1)[0])
    if not found:
        raise SystemExit("no '<...>.blocks.{i}.threshold' or '<...>.resblocks.{i}.threshold' buffers in the checkpoint")
    blocks = max(found) + 1
    missing = [i for i in range(blocks) if i not in found]
    if missing:
        raise SystemExit(f"threshold buffers missing for blocks {missing}")
    return [found[i] for i in range(blocks)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    parser.add_argument("--merges-per-layer", type=int, default=None)
    args = parser.parse_args()
    try:
        state = load_state(args.checkpoint)
    except (OSError, zipfile.BadZipFile, pickle.UnpicklingError, KeyError) as error:
        sys.exit(f"{args.checkpoint}: not a readable PyTorch checkpoint ({error})")
    thresholds = thresholds_from_state(state)
    name = state.get("name") if isinstance(state, dict) else None
    document = {
        "format": "vlm-dymu-thresholds",
        "model": name or args.checkpoint,
        "merges_per_layer": args.merges_per_layer,
        "schedule": [args.merges_per_layer or 1] * len(thresholds),
        "thresholds": thresholds,
        "source": f"converted from {args.checkpoint} by scripts/convert_dymu_thresholds.py",
    }
    with open(args.out, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}: {len(thresholds)} thresholds")


if __name__ == "__main__":
    main()
