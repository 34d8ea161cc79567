#!/usr/bin/env python3
"""Writes Tests/EngineTests/Fixtures/dymu/released-format.pth: a small checkpoint in the exact format
of DyMU's released threshold files ({"name", "state_dict"} saved by torch.save, DDP `module.`
prefix, one `threshold` buffer per block next to other weights), for testing
scripts/convert_dymu_thresholds.py without the real 1 GB files. Needs torch; not run by CI.
The thresholds are 0.5 + i/100 for block i (24 blocks); the other tensors are small and random.
"""
import collections
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/EngineTests/Fixtures/dymu/released-format.pth"

torch.manual_seed(0)
state = collections.OrderedDict()
for i in range(24):
    state[f"module.visual.transformer.resblocks.{i}.ln_1.weight"] = torch.randn(4)
    state[f"module.visual.transformer.resblocks.{i}.threshold"] = torch.tensor(0.5 + i / 100)
OUT.parent.mkdir(parents=True, exist_ok=True)
torch.save({"name": "ViT-L-14-336-tome-72out", "state_dict": state}, OUT)
print(f"wrote {OUT}")
