#!/usr/bin/env python3
"""Build the demo LLaVA checkpoint weights/llava-smollm2-demo/ (numpy + safetensors header format only;
no torch). Run by the README set-up and by CI, after scripts/setup_smollm2.sh.

The result is a LlavaForConditionalGeneration checkpoint (transformers-5 key layout) of the papers' shape:
  - vision tower: CLIP ViT-L/14-336 (24 layers, hidden 1024, 16 heads, MLP 4096, quick_gelu, patch 14,
    image 336 -> 576 patches + CLS), seeded random weights, BF16;
    vision_feature_layer -2, vision_feature_select_strategy "default" (576 image tokens)
  - projector: 2-layer GELU MLP 1024 -> 576 -> 576 with biases, seeded random weights, BF16
  - language model: the real SmolLM2-135M-Instruct, tensors copied byte for byte (F32 as converted), with
    one zero row appended to the tied embedding for the new "<image>" token (id = old vocab size)

Files written:
  config.json, generation_config.json (SmolLM2's EOS ids), tokenizer.json (+ "<image>" added token),
  tokenizer_config.json, chat_template.jinja (ChatML with '<image>\n' for image parts, SmolLM2's default
  system prompt), preprocessor_config.json (CLIPImageProcessor, llava-1.5 settings: shortest_edge 336,
  crop 336, CLIP mean/std, bicubic), processor_config.json,
  model-00001-of-00002.safetensors (language model, as the source), model-00002-of-00002.safetensors
  (vision tower + projector, BF16), model.safetensors.index.json, build_info.json (checksums).

Random weights: numpy.random.RandomState(SEED).randint(0, 2**32, dtype=uint32) (RandomState's stream is
frozen across numpy versions), one stream in the fixed tensor order below. Each value is an Irwin-Hall sum
of the four bytes of one draw (0..1020, mean 510, sd 147.8: bell-shaped, within 3.5 sd), scaled to the wanted standard
deviation and rounded to BF16 (round-to-nearest-even from float32) through a lookup table, so the bytes
are identical on every machine, quickly (matrices sd 0.02 as HF's CLIP init; LayerNorm weights 1 + 0.02 x,
LayerNorm and linear biases 0.02 x).

Idempotent: if build_info.json says the output is complete, and the checksums of the source model and of
the output files match it, nothing is done (use --force to rebuild). Usage, from the repository root:

    python3 scripts/build_demo_checkpoint.py [SMOLLM2_DIR] [--out weights/llava-smollm2-demo] [--force]

SMOLLM2_DIR defaults to weights/smollm2-135m-instruct (made by scripts/setup_smollm2.sh).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import struct
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BUILDER_VERSION = 1
SEED = 20240501

# Vision tower and projector shapes (CLIP ViT-L/14 at 336 px, as in LLaVA-1.5).
V_HIDDEN, V_LAYERS, V_HEADS, V_MLP, V_PATCH, V_IMAGE = 1024, 24, 16, 4096, 14, 336
V_POSITIONS = (V_IMAGE // V_PATCH) ** 2 + 1  # 577
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

W_SD = 0.02  # matrices, convolution, embeddings
B_SD = 0.02  # biases and LayerNorm offsets
LN_SD = 0.02  # LayerNorm weights: 1 + LN_SD * x

SHARD_LM = "model-00001-of-00002.safetensors"
SHARD_VISION = "model-00002-of-00002.safetensors"

# Expected SHA-256 of the vision + projector shard, by the language model's hidden size (the projector's
# output width): the shard depends only on this script. A build that does not reproduce it fails loudly.
EXPECTED_VISION_SHA256 = {576: "f0521dbb5af33944c76d885816bfb10e1e92d1a4571ae48e24559aa705516e3c"}

SYSTEM_PROMPT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\n" + SYSTEM_PROMPT + "<|im_end|>\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}{{ '<image>\n' }}"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


# ----------------------------------------------------------------------------------------------------
# Minimal safetensors reading / streaming writing (the format: u64 header length, JSON header, data).

DTYPE_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def read_header(path: Path) -> tuple[dict, int]:
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise SystemExit(f"error: {path} is not a safetensors file (too short)")
        (n,) = struct.unpack("<Q", raw)
        if n > 100_000_000:
            raise SystemExit(f"error: {path} has an implausible header length {n}")
        header = json.loads(f.read(n))
    size = path.stat().st_size
    for k, v in header.items():
        if k == "__metadata__":
            continue
        end = 8 + n + v["data_offsets"][1]
        if end > size:
            raise SystemExit(f"error: {path} is truncated (tensor {k} ends at byte {end}, file has {size})")
    return header, 8 + n


class ShardWriter:
    """Writes a safetensors file whose tensor list is known up front, tensor data streamed in order."""

    def __init__(self, path: Path, entries: list[tuple[str, str, list[int]]], metadata: dict[str, str]):
        self.path = path
        self.entries = entries
        header: dict = {"__metadata__": metadata}
        offset = 0
        self.sizes = {}
        for name, dtype, shape in entries:
            nbytes = int(np.prod(shape, dtype=np.int64)) * DTYPE_SIZES[dtype]
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + nbytes]}
            self.sizes[name] = nbytes
            offset += nbytes
        self.total = offset
        blob = json.dumps(header, separators=(",", ":")).encode()
        blob += b" " * ((8 - len(blob) % 8) % 8)
        self.f = open(path, "wb")
        self.f.write(struct.pack("<Q", len(blob)))
        self.f.write(blob)
        self.index = 0
        self.written = 0

    def write(self, name: str, data) -> None:
        exp_name = self.entries[self.index][0]
        if name != exp_name:
            raise RuntimeError(f"tensor order: expected {exp_name}, got {name}")
        mv = memoryview(data).cast("B")
        if mv.nbytes != self.sizes[name]:
            raise RuntimeError(f"{name}: {mv.nbytes} bytes, expected {self.sizes[name]}")
        self.f.write(mv)
        self.index += 1
        self.written += mv.nbytes

    def close(self) -> None:
        if self.index != len(self.entries):
            raise RuntimeError(f"{self.path}: only {self.index} of {len(self.entries)} tensors written")
        self.f.close()


# ----------------------------------------------------------------------------------------------------
# Random BF16 tensors


def bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns (uint16), round to nearest even (no NaNs expected)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = u + 0x7FFF + ((u >> 16) & 1)
    return (u >> 16).astype(np.uint16)


def irwin_hall_lut(scale: float, offset: float) -> np.ndarray:
    """BF16 bit pattern of offset + scale * (s - 510) / sd for every Irwin-Hall sum s in 0..1020."""
    sd = np.sqrt(4 * (256.0**2 - 1) / 12.0)
    s = np.arange(1021, dtype=np.float64)
    return bf16_bits(((s - 510.0) / sd * scale + offset).astype(np.float32))


def random_bf16(rs: np.random.RandomState, n: int, scale: float, offset: float = 0.0, chunk: int = 1 << 22) -> np.ndarray:
    lut = irwin_hall_lut(scale, offset)
    out = np.empty(n, dtype=np.uint16)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        # Full-range uint32 draws are MT19937's raw outputs; the sum of their four bytes does not depend
        # on the machine's byte order.
        b = rs.randint(0, 1 << 32, size=m, dtype=np.uint32).view(np.uint8).reshape(m, 4)
        s = b[:, 0].astype(np.uint16)
        s += b[:, 1]
        s += b[:, 2]
        s += b[:, 3]
        out[start:start + m] = lut[s]
    return out


def vision_entries() -> list[tuple[str, list[int], float, float]]:
    """(key, shape, scale, offset) of every vision-tower and projector tensor, in generation order."""
    e: list[tuple[str, list[int], float, float]] = []
    vt = "model.vision_tower."
    e.append((vt + "embeddings.class_embedding", [V_HIDDEN], W_SD, 0.0))
    e.append((vt + "embeddings.patch_embedding.weight", [V_HIDDEN, 3, V_PATCH, V_PATCH], W_SD, 0.0))
    e.append((vt + "embeddings.position_embedding.weight", [V_POSITIONS, V_HIDDEN], W_SD, 0.0))
    e.append((vt + "pre_layrnorm.weight", [V_HIDDEN], LN_SD, 1.0))
    e.append((vt + "pre_layrnorm.bias", [V_HIDDEN], B_SD, 0.0))
    for i in range(V_LAYERS):
        p = f"{vt}encoder.layers.{i}."
        e.append((p + "layer_norm1.weight", [V_HIDDEN], LN_SD, 1.0))
        e.append((p + "layer_norm1.bias", [V_HIDDEN], B_SD, 0.0))
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            e.append((p + f"self_attn.{proj}.weight", [V_HIDDEN, V_HIDDEN], W_SD, 0.0))
            e.append((p + f"self_attn.{proj}.bias", [V_HIDDEN], B_SD, 0.0))
        e.append((p + "layer_norm2.weight", [V_HIDDEN], LN_SD, 1.0))
        e.append((p + "layer_norm2.bias", [V_HIDDEN], B_SD, 0.0))
        e.append((p + "mlp.fc1.weight", [V_MLP, V_HIDDEN], W_SD, 0.0))
        e.append((p + "mlp.fc1.bias", [V_MLP], B_SD, 0.0))
        e.append((p + "mlp.fc2.weight", [V_HIDDEN, V_MLP], W_SD, 0.0))
        e.append((p + "mlp.fc2.bias", [V_HIDDEN], B_SD, 0.0))
    e.append((vt + "post_layernorm.weight", [V_HIDDEN], LN_SD, 1.0))
    e.append((vt + "post_layernorm.bias", [V_HIDDEN], B_SD, 0.0))
    return e


def projector_entries(d_text: int) -> list[tuple[str, list[int], float, float]]:
    mp = "model.multi_modal_projector."
    return [
        (mp + "linear_1.weight", [d_text, V_HIDDEN], W_SD, 0.0),
        (mp + "linear_1.bias", [d_text], B_SD, 0.0),
        (mp + "linear_2.weight", [d_text, d_text], W_SD, 0.0),
        (mp + "linear_2.bias", [d_text], B_SD, 0.0),
    ]


# ----------------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 24)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(f"error: {path} is missing") from None


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def up_to_date(out: Path, src_model_sha: str) -> bool:
    info_path = out / "build_info.json"
    if not info_path.exists():
        return False
    try:
        info = json.loads(info_path.read_text())
    except json.JSONDecodeError:
        return False
    if info.get("builder_version") != BUILDER_VERSION or info.get("source_model_sha256") != src_model_sha:
        return False
    for name, digest in info.get("files_sha256", {}).items():
        p = out / name
        if not p.exists() or sha256_file(p) != digest:
            return False
    return bool(info.get("files_sha256"))


def build(src: Path, out: Path) -> dict:
    cfg_src = load_json(src / "config.json")
    tok_src = load_json(src / "tokenizer.json")
    tok_cfg_src = load_json(src / "tokenizer_config.json")
    gen_src = json.loads((src / "generation_config.json").read_text()) if (src / "generation_config.json").exists() else {}
    src_model = src / "model.safetensors"
    if not src_model.exists():
        raise SystemExit(f"error: {src_model} is missing (run scripts/setup_smollm2.sh first)")
    header, data_start = read_header(src_model)

    vocab = int(cfg_src["vocab_size"])
    d_text = int(cfg_src["hidden_size"])
    if not cfg_src.get("tie_word_embeddings", False):
        raise SystemExit("error: expected SmolLM2 with tied embeddings (tie_word_embeddings: true)")
    image_id = vocab
    existing = {t["content"]: t["id"] for t in tok_src.get("added_tokens", [])}
    if "<image>" in existing:
        raise SystemExit("error: the source tokenizer already has an <image> token")

    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)

    # --- language model shard: source tensors byte for byte, renamed, embedding + 1 zero row ----------
    lm_entries = []
    lm_sources = []
    for key in sorted(k for k in header if k != "__metadata__"):
        if key.endswith("rotary_emb.inv_freq"):
            continue
        t = header[key]
        if key.startswith("model."):
            new = "model.language_model." + key[len("model."):]
        elif key.startswith("lm_head."):
            raise SystemExit("error: the source has an lm_head although its embeddings are tied")
        else:
            raise SystemExit(f"error: unexpected tensor {key} in {src_model}")
        shape = list(t["shape"])
        extra = 0
        if new == "model.language_model.embed_tokens.weight":
            if shape != [vocab, d_text]:
                raise SystemExit(f"error: embed_tokens shape {shape} disagrees with config {[vocab, d_text]}")
            shape = [vocab + 1, d_text]
            extra = d_text * DTYPE_SIZES[t["dtype"]]
        lm_entries.append((new, t["dtype"], shape))
        lm_sources.append((new, t["data_offsets"], extra))
    if not any(e[0] == "model.language_model.embed_tokens.weight" for e in lm_entries):
        raise SystemExit(f"error: {src_model} has no model.embed_tokens.weight")

    w = ShardWriter(tmp / SHARD_LM, lm_entries, {"format": "pt"})
    with open(src_model, "rb") as f:
        for new, (a, b), extra in lm_sources:
            f.seek(data_start + a)
            data = f.read(b - a)
            if extra:
                data += bytes(extra)
            w.write(new, data)
    w.close()
    lm_total = w.total

    # --- vision tower + projector shard: seeded random BF16 -----------------------------------------
    ventries = vision_entries() + projector_entries(d_text)
    rs = np.random.RandomState(SEED)
    w = ShardWriter(tmp / SHARD_VISION, [(k, "BF16", s) for k, s, _, _ in ventries], {"format": "pt"})
    for key, shape, scale, offset in ventries:
        w.write(key, random_bf16(rs, int(np.prod(shape)), scale, offset))
    w.close()
    v_total = w.total

    weight_map = {k: SHARD_LM for k, _, _ in lm_entries}
    weight_map.update({k: SHARD_VISION for k, _, _, _ in ventries})
    write_json(
        tmp / "model.safetensors.index.json",
        {"metadata": {"total_size": lm_total + v_total}, "weight_map": dict(sorted(weight_map.items()))},
    )

    # --- config.json -------------------------------------------------------------------------------------
    text_config = {k: v for k, v in cfg_src.items() if k not in ("architectures", "torch_dtype", "dtype", "transformers_version")}
    text_config["vocab_size"] = vocab + 1
    config = {
        "architectures": ["LlavaForConditionalGeneration"],
        "model_type": "llava",
        "dtype": "float32",
        "image_token_index": image_id,
        "image_seq_length": (V_IMAGE // V_PATCH) ** 2,
        "multimodal_projector_bias": True,
        "projector_hidden_act": "gelu",
        "tie_word_embeddings": True,
        "vision_feature_layer": -2,
        "vision_feature_select_strategy": "default",
        "text_config": text_config,
        "vision_config": {
            "model_type": "clip_vision_model",
            "hidden_act": "quick_gelu",
            "hidden_size": V_HIDDEN,
            "image_size": V_IMAGE,
            "intermediate_size": V_MLP,
            "layer_norm_eps": 1e-5,
            "num_attention_heads": V_HEADS,
            "num_channels": 3,
            "num_hidden_layers": V_LAYERS,
            "patch_size": V_PATCH,
            "projection_dim": 768,
            "attention_dropout": 0.0,
        },
    }
    write_json(tmp / "config.json", config)

    gen = dict(gen_src) if gen_src else {}
    if "eos_token_id" not in gen:
        gen["eos_token_id"] = cfg_src.get("eos_token_id")
    for k in ("bos_token_id", "pad_token_id"):
        if k not in gen and cfg_src.get(k) is not None:
            gen[k] = cfg_src[k]
    write_json(tmp / "generation_config.json", gen)

    # --- tokenizer, templates, processor ----------------------------------------------------------------
    tok = dict(tok_src)
    tok["added_tokens"] = list(tok_src.get("added_tokens", [])) + [
        {
            "id": image_id,
            "content": "<image>",
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
    ]
    (tmp / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False, separators=(",", ":")))
    tok_cfg = dict(tok_cfg_src)
    tok_cfg["chat_template"] = CHAT_TEMPLATE
    tok_cfg["processor_class"] = "LlavaProcessor"
    write_json(tmp / "tokenizer_config.json", tok_cfg)
    (tmp / "chat_template.jinja").write_text(CHAT_TEMPLATE)
    write_json(
        tmp / "preprocessor_config.json",
        {
            "crop_size": {"height": V_IMAGE, "width": V_IMAGE},
            "do_center_crop": True,
            "do_convert_rgb": True,
            "do_normalize": True,
            "do_rescale": True,
            "do_resize": True,
            "image_mean": CLIP_MEAN,
            "image_processor_type": "CLIPImageProcessor",
            "image_std": CLIP_STD,
            "processor_class": "LlavaProcessor",
            "resample": 3,
            "rescale_factor": 0.00392156862745098,
            "size": {"shortest_edge": V_IMAGE},
        },
    )
    write_json(
        tmp / "processor_config.json",
        {
            "image_token": "<image>",
            "num_additional_image_tokens": 1,
            "patch_size": V_PATCH,
            "processor_class": "LlavaProcessor",
            "vision_feature_select_strategy": "default",
        },
    )

    vision_sha = sha256_file(tmp / SHARD_VISION)
    expected = EXPECTED_VISION_SHA256.get(d_text)
    if expected is not None and vision_sha != expected:
        raise SystemExit(
            f"error: the vision shard's SHA-256 {vision_sha} is not the pinned {expected}: "
            "this machine did not reproduce the demo weights"
        )
    files = sorted(p.name for p in tmp.iterdir())
    info = {
        "builder": "scripts/build_demo_checkpoint.py",
        "builder_version": BUILDER_VERSION,
        "seed": SEED,
        "source": str(src),
        "source_model_sha256": sha256_file(src_model),
        "image_token_id": image_id,
        "files_sha256": {name: sha256_file(tmp / name) for name in files},
    }
    write_json(tmp / "build_info.json", info)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", nargs="?", default=str(REPO / "weights" / "smollm2-135m-instruct"),
                    help="converted SmolLM2 checkpoint directory (default: weights/smollm2-135m-instruct)")
    ap.add_argument("--out", default=str(REPO / "weights" / "llava-smollm2-demo"), help="output directory")
    ap.add_argument("--force", action="store_true", help="rebuild even if the output is up to date")
    args = ap.parse_args()
    t0 = time.time()
    src, out = Path(args.source), Path(args.out)
    if not (src / "model.safetensors").exists():
        raise SystemExit(f"error: {src}/model.safetensors not found (run scripts/setup_smollm2.sh first)")
    if not args.force and up_to_date(out, sha256_file(src / "model.safetensors")):
        print(f"{out} is up to date ({time.time() - t0:.1f} s)")
        return
    info = build(src, out)
    for name, digest in info["files_sha256"].items():
        if name.endswith(".safetensors"):
            print(f"  {name}  sha256 {digest}")
    print(f"built {out} in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
