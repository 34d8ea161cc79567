#!/usr/bin/env python3
"""Reference outputs of transformers on the demo checkpoint (weights/llava-smollm2-demo, made by
scripts/build_demo_checkpoint.py), written to Tests/EngineTests/Fixtures/demo_reference.json.

transformers runs in float32 (eager attention, PIL image backend, torch.set_num_threads(2)) on a committed
photo (Tests/EngineTests/Fixtures/photos/chelsea_451x300.jpg, a 451x300 JPEG) and a question. The JSON holds:
  files_sha256        SHA-256 of each built safetensors file (a test can tell its build was identical)
  image case          prompt (chat template), input_ids (576 image tokens expanded by the processor),
                      greedy ids (generate(do_sample=False, max_new_tokens=32), new tokens only, EOS
                      included if it stopped on one), decoded text, pixel_values / image_features
                      (projector input) / projected statistics and sample values, first-step top-10 logits
  text_only case      the same for "What is the capital of France?" without an image (the language model
                      must be SmolLM2 unchanged)
  timings             transformers' time to first token (processor + ViT + projector + prefill + argmax),
                      fp32, 2 threads, eager and sdpa attention, with the machine's load average

Needs torch + transformers. Not run by CI. Re-run from the repository root after building the demo:

    python3 scripts/build_demo_checkpoint.py && python3 scripts/make_demo_refs.py [--demo DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "Tests" / "EngineTests" / "Fixtures" / "photos" / "chelsea_451x300.jpg"
OUT = REPO / "Tests" / "EngineTests" / "Fixtures" / "demo_reference.json"
QUESTION = "What is shown in this image?"  # chosen for wide greedy margins (min 0.03 over 32 steps)
TEXT_QUESTION = "What is the capital of France?"
MAX_NEW_TOKENS = 32


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(1 << 24):
            h.update(b)
    return h.hexdigest()


def stats(t: torch.Tensor) -> dict:
    x = t.double()
    return {
        "shape": list(t.shape),
        "mean": float(x.mean()),
        "std": float(x.std()),
        "min": float(x.min()),
        "max": float(x.max()),
        "abs_sum": float(x.abs().sum()),
    }


def top10(logits: torch.Tensor) -> dict:
    v, i = logits.topk(10)
    return {"ids": i.tolist(), "logits": [float(x) for x in v]}


def run_case(model, processor, messages, images):
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    inputs = processor(images=images or None, text=prompt, return_tensors="pt")
    captured = {}

    def hook(_m, args, output):
        captured["image_features"] = args[0].detach().clone()
        captured["projected"] = output.detach().clone()

    h = model.model.multi_modal_projector.register_forward_hook(hook)
    with torch.no_grad():
        out = model(**inputs)
        logits_last = out.logits[0, -1].clone()
        gen = model.generate(**inputs, do_sample=False, max_new_tokens=MAX_NEW_TOKENS, output_logits=True,
                             return_dict_in_generate=True)
    h.remove()
    ids = inputs["input_ids"][0].tolist()
    new = gen.sequences[0, len(ids):].tolist()
    steps = torch.stack([l[0] for l in gen.logits])
    assert torch.allclose(steps[0], logits_last, atol=1e-3, rtol=1e-4)
    top2 = steps.topk(2, dim=-1).values
    margins = (top2[:, 0] - top2[:, 1]).tolist()
    eos = model.generation_config.eos_token_id
    eos = eos if isinstance(eos, list) else [eos]
    case = {
        "messages": messages,
        "prompt": prompt,
        "input_ids": ids,
        "num_input_ids": len(ids),
        "greedy_ids": new,
        "greedy_text": processor.tokenizer.decode(new, skip_special_tokens=True),
        "greedy_text_raw": processor.tokenizer.decode(new, skip_special_tokens=False),
        "greedy_stopped_on_eos": bool(new and new[-1] in eos),
        "greedy_min_margin": round(min(margins), 5),
        "greedy_margins": [round(x, 5) for x in margins],
        "first_step_top10": top10(logits_last),
    }
    return case, inputs, captured


def timed_ttft(model, processor, messages, photo: Path, repeats: int) -> dict:
    """Wall time from the JPEG file and the chat messages to the first generated token id."""
    runs = []
    for _ in range(repeats + 1):  # the first run warms up
        c0 = time.process_time()
        t0 = time.perf_counter()
        image = Image.open(photo)
        prompt = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = processor(images=[image], text=prompt, return_tensors="pt")
        t1 = time.perf_counter()
        with torch.no_grad():
            feats = model.model.get_image_features(pixel_values=inputs["pixel_values"]).pooler_output
            t2 = time.perf_counter()
            embeds = model.model.get_input_embeddings()(inputs["input_ids"])
            mask = inputs["input_ids"] == model.config.image_token_id
            embeds = embeds.masked_scatter(mask.unsqueeze(-1), torch.cat(feats, 0).to(embeds.dtype))
            out = model(inputs_embeds=embeds, attention_mask=inputs["attention_mask"], logits_to_keep=1)
            _ = int(out.logits[0, -1].argmax())
            t3 = time.perf_counter()
        c3 = time.process_time()
        runs.append({"preprocess_s": t1 - t0, "vision_and_projector_s": t2 - t1, "prefill_s": t3 - t2, "total_s": t3 - t0,
                     "total_cpu_s": c3 - c0})
    runs = runs[1:]
    keys = runs[0].keys()
    return {
        "repeats": repeats,
        "median": {k: round(statistics.median(r[k] for r in runs), 3) for k in keys},
        "min": {k: round(min(r[k] for r in runs), 3) for k in keys},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo", default=str(REPO / "weights" / "llava-smollm2-demo"))
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per attention implementation")
    args = ap.parse_args()
    demo = Path(args.demo)
    torch.set_num_threads(2)
    from transformers import AutoProcessor, LlavaForConditionalGeneration

    _, info = LlavaForConditionalGeneration.from_pretrained(demo, dtype=torch.float32, output_loading_info=True)
    if any(v for k, v in info.items()):
        raise SystemExit(f"loading problems: {info}")
    processor = AutoProcessor.from_pretrained(demo, backend="pil")
    model = LlavaForConditionalGeneration.from_pretrained(demo, dtype=torch.float32, attn_implementation="eager").eval()

    image = Image.open(PHOTO)
    image.load()
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": QUESTION}]}]
    image_case, inputs, cap = run_case(model, processor, messages, [image])
    pv = inputs["pixel_values"]
    image_case.update(
        {
            "image": str(PHOTO.relative_to(REPO)),
            "image_size_wh": list(image.size),
            "num_image_tokens": int((inputs["input_ids"] == model.config.image_token_id).sum()),
            "pixel_values": stats(pv)
            | {
                "channel_mean": [float(x) for x in pv[0].double().mean(dim=(1, 2))],
                "samples": {f"[0,:,{y},{x}]": [float(v) for v in pv[0, :, y, x]] for y, x in ((0, 0), (168, 168), (335, 335), (100, 250))},
            },
            "image_features": stats(cap["image_features"])
            | {"samples": {f"[0,{p},:4]": [float(v) for v in cap["image_features"][0, p, :4]] for p in (0, 287, 575)}},
            "projected": stats(cap["projected"])
            | {"samples": {f"[0,{p},:4]": [float(v) for v in cap["projected"][0, p, :4]] for p in (0, 287, 575)}},
        }
    )
    print(f"image case: {image_case['num_input_ids']} ids, text {image_case['greedy_text']!r}")
    text_messages = [{"role": "user", "content": TEXT_QUESTION}]
    text_case, _, _ = run_case(model, processor, text_messages, [])
    print(f"text case: {text_case['greedy_text']!r}")

    timings = {}
    for impl in ("eager", "sdpa"):
        m = model if impl == "eager" else LlavaForConditionalGeneration.from_pretrained(
            demo, dtype=torch.float32, attn_implementation="sdpa").eval()
        timings[impl] = timed_ttft(m, processor, messages, PHOTO, args.repeats)
        print(f"TTFT {impl}: {timings[impl]['median']}")

    files = sorted(p for p in demo.iterdir() if p.name.endswith(".safetensors"))
    doc = {
        "comment": "Made by scripts/make_demo_refs.py: transformers, float32, eager attention, PIL image backend, "
        "on weights/llava-smollm2-demo built by scripts/build_demo_checkpoint.py. Statistics are over float64 "
        "copies; image_features = projector input (CLIP layer -2 without CLS), projected = projector output.",
        "transformers_version": __import__("transformers").__version__,
        "torch_version": torch.__version__,
        "files_sha256": {p.name: sha256_file(p) for p in files},
        "image_token_id": model.config.image_token_id,
        "eos_token_ids": model.generation_config.eos_token_id,
        "max_new_tokens": MAX_NEW_TOKENS,
        "image_case": image_case,
        "text_only_case": text_case,
        "timings_transformers_fp32_2threads": {
            "what": "time to first token from the JPEG file: processor (decode, resize, crop, normalise, "
            "tokenize) + CLIP ViT-L/336 to layer 23 + projector + prefill + argmax; median and min of "
            "the timed runs after one warm-up run. total_cpu_s = CPU seconds of the process over the run (both "
            "threads): on a busy shared machine wall times inflate but CPU time does not, so total_cpu_s / 2 "
            "estimates the wall time on an idle machine",
            "torch_num_threads": torch.get_num_threads(),
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            **timings,
        },
    }
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
