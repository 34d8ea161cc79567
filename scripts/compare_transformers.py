#!/usr/bin/env python3
"""Times transformers (PyTorch, fp32, the same thread count) and `vlm bench` on the same checkpoint,
image and prompt, in one run, and prints our time over theirs for each stage.

A tool, not a CI test: it needs torch and transformers (pip install torch transformers pillow).

Usage: python3 scripts/compare_transformers.py [--model weights/llava-smollm2-demo]
           [--image Tests/EngineTests/Fixtures/photos/chelsea_451x300.jpg] [--threads 2]
           [--runs 3] [--max-tokens 32] [--vlm .build/release/vlm] [-- extra vlm bench flags]

Stages, as `vlm bench` reports them: image decode + preprocess (PIL + the processor), vision tower
(to the feature layer; transformers' LLaVA runs the whole tower and keeps hidden_states), projector,
prefill (the language model over the prompt with the image embeddings), decode (per token, with the
KV cache), and time to first token (the sum of the first four).
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def transformers_times(model_dir, image_path, prompt, threads, runs, max_tokens):
    import torch
    from PIL import Image
    from transformers import AutoProcessor, LlavaForConditionalGeneration

    torch.set_num_threads(threads)
    processor = AutoProcessor.from_pretrained(model_dir)
    model = LlavaForConditionalGeneration.from_pretrained(model_dir, dtype=torch.float32).eval()
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True)

    def one_run():
        times = {}
        start = time.perf_counter()
        image = Image.open(image_path).convert("RGB")
        inputs = processor(images=image, text=text, return_tensors="pt")
        times["image decode + preprocess"] = time.perf_counter() - start
        with torch.no_grad():
            start = time.perf_counter()
            layer = model.config.vision_feature_layer
            hidden = model.model.vision_tower(inputs["pixel_values"], output_hidden_states=True).hidden_states[layer]
            if model.config.vision_feature_select_strategy == "default":
                hidden = hidden[:, 1:]
            times["vision tower"] = time.perf_counter() - start
            start = time.perf_counter()
            features = model.model.multi_modal_projector(hidden)
            times["projector"] = time.perf_counter() - start
            start = time.perf_counter()
            embeds = model.get_input_embeddings()(inputs["input_ids"])
            mask = inputs["input_ids"] == model.config.image_token_id
            embeds = embeds.masked_scatter(mask.unsqueeze(-1), features.reshape(-1, features.shape[-1]))
            out = model.model.language_model(inputs_embeds=embeds, use_cache=True)
            logits = model.lm_head(out.last_hidden_state[:, -1:])
            times["prefill"] = time.perf_counter() - start
            cache = out.past_key_values
            token = logits.argmax(-1)
            start = time.perf_counter()
            for _ in range(max_tokens - 1):
                out = model.model.language_model(input_ids=token, past_key_values=cache, use_cache=True)
                cache = out.past_key_values
                token = model.lm_head(out.last_hidden_state[:, -1:]).argmax(-1)
            times["decode (per token)"] = (time.perf_counter() - start) / (max_tokens - 1)
        times["time to first token"] = sum(times[k] for k in ("image decode + preprocess", "vision tower", "projector", "prefill"))
        return times

    one_run()  # warm-up
    results = [one_run() for _ in range(runs)]
    return {k: statistics.median(r[k] for r in results) * 1000 for k in results[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "weights/llava-smollm2-demo"))
    parser.add_argument("--image", default=str(ROOT / "Tests/EngineTests/Fixtures/photos/chelsea_451x300.jpg"))
    parser.add_argument("--prompt", default="Describe this picture in detail.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--vlm", default=str(ROOT / ".build/release/vlm"))
    parser.add_argument("vlm_flags", nargs="*")
    args = parser.parse_args()

    command = [args.vlm, "bench", "--model", args.model, "--image", args.image, "--prompt", args.prompt,
               "--threads", str(args.threads), "--runs", str(args.runs), "--max-tokens", str(args.max_tokens),
               "--json", *args.vlm_flags]
    ours = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    our_times = {stage["name"]: stage["median_ms"] for stage in ours["stages"]}
    our_times["time to first token"] = statistics.median(ours["time_to_first_token_ms"])
    theirs = transformers_times(args.model, args.image, args.prompt, args.threads, args.runs, args.max_tokens)

    print(f"model {args.model}, {args.threads} threads, median of {args.runs} runs; vlm flags: {' '.join(args.vlm_flags) or '(none)'}")
    print(f"{'stage':28}{'vlm ms':>10}{'transformers ms':>17}{'vlm / transformers':>20}")
    for stage, theirs_ms in theirs.items():
        ours_ms = our_times.get(stage)
        ratio = f"{ours_ms / theirs_ms:.2f}" if ours_ms else "–"
        print(f"{stage:28}{ours_ms if ours_ms is not None else float('nan'):>10.1f}{theirs_ms:>17.1f}{ratio:>20}")


if __name__ == "__main__":
    sys.exit(main())
