#!/usr/bin/env python3
"""Make the tiny LLaVA test checkpoints and their transformers reference outputs.

What it produces (all under Tests/EngineTests/Fixtures/, all committed):

  photos/                          small real photos from scikit-image's data folder (JPEG and PNG,
                                   several sizes, aspect ratios and colour modes) + photos.json
  tiny-llava-clip-llama/           CLIP ViT + 2-layer GELU projector + LLaMA, F32, transformers-5
                                   in-memory key layout (model.language_model.*, model.vision_tower.*,
                                   model.multi_modal_projector.*, lm_head.*), chat_template.json
  tiny-llava-clip-llama-legacy/    same kind of model, other seed, BF16, old key layout
                                   (language_model.model.*, language_model.lm_head.*,
                                   vision_tower.vision_model.*, multi_modal_projector.*), terse old-style
                                   config.json (defaulted fields omitted), positive vision_feature_layer,
                                   strategy "full", LlavaImageProcessor with do_pad, chat template inside
                                   tokenizer_config.json
  tiny-llava-siglip-qwen2/         SigLIP ViT (with the unused attention-pool head.*) + projector + Qwen2
                                   (q/k/v biases, tied embeddings), F16, written by transformers 5.x's own
                                   save_pretrained (its on-disk layout: language_model.model.*,
                                   vision_tower.* without "vision_model.", multi_modal_projector.*, no
                                   lm_head), chat_template.jinja, "image_token_id" spelling in config.json

Each checkpoint directory holds config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
preprocessor_config.json, processor_config.json, generation_config.json, a chat template, and the
references computed by transformers (float32, eager attention, PIL image backend) through LlavaProcessor +
LlavaForConditionalGeneration:

  reference.safetensors   per case <case>: <case>.pixel_values [n_img,3,H,W], <case>.vision_hidden_states
                          [L+1,n_img,T,Cv] (all ViT hidden states, hidden_states[0] = encoder input),
                          <case>.image_features [n_img,M,Cv] (projector input: the feature layer after the
                          select strategy), <case>.projected [n_img,M,D] (projector output),
                          <case>.logits_last [V] (logits of the last prompt position = first generation step)
  reference.json          prompt, input_ids (image token expanded M times by the processor), greedy ids
                          (generate(do_sample=False, max_new_tokens=24), new tokens only), eos ids, ...

Every expected value comes from transformers; nothing here comes from our engine.

Needs torch + transformers (5.x), tokenizers, safetensors, pillow, scikit-image. Not run by CI.
Deterministic: parameters come from numpy.random.RandomState(seed); photos are only written when missing
(pass --photos to rewrite them). Re-run from the repository root:

    python3 scripts/make_llava_refs.py            # rebuild the checkpoints + references
    python3 scripts/make_llava_refs.py --photos   # also re-encode the photos from scikit-image
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "Tests" / "EngineTests" / "Fixtures"
PHOTOS = FIXTURES / "photos"

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
MAX_NEW_TOKENS = 24

# ----------------------------------------------------------------------------------------------------
# Chat templates, verbatim from the real checkpoints.
# llava-hf/llava-1.5-7b-hf chat_template.json (the same string is quoted in openvino.genai's
# tokenizer fallback map, transformers' processor tests and many user scripts).
LLAVA15_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}"
    "{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', "
    "'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != "
    "'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', "
    "'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
# llava-hf/llava-interleave-qwen-0.5b-hf chat_template.json: ChatML, all images of a message first as
# '<image>', then each text part as '\n' + text (renders "<|im_start|>user\n<image>\nWhat...<|im_end|>\n").
# Reconstructed from the derived copies that quote it (fastvlm's converter, the llava-interleave data
# collators, llava-onevision's test template); the verbatim file was not reachable from this machine.
INTERLEAVE_CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}{# Render all images first #}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}"
    "{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in "
    "message['content'] | selectattr('type', 'equalto', 'text') %}{{ '\n' + content['text'] }}{% endfor %}"
    "{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}"
    "{{ '\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}{{'<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# ----------------------------------------------------------------------------------------------------
# Fixed English text the tiny byte-level BPE tokenizers are trained on (written for this project).
CORPUS = """\
USER: What is shown in this image? ASSISTANT: The image shows a cat sitting on a wooden table.
USER: Describe the picture in detail. ASSISTANT: A woman in a white space suit holds a flag.
What is this? It is a cup of coffee on a saucer, next to a small silver spoon.
Describe this photo briefly. A rocket stands on the launch pad under a clear blue sky.
What colour is the cat? The cat is orange and grey, with dark stripes and green eyes.
How many images are there? There are two images: the first shows a rocket, the second a coffee cup.
Compare the two pictures. The first picture is bright and the second one is dark.
The photographer stands behind a camera on a tripod in an empty field of grass.
A logo is a small picture that a company puts on its letters, boxes and signs.
Is there a person in the image? Yes, there is one person, an astronaut, smiling at the camera.
The quick brown fox jumps over the lazy dog, and the dog does not even wake up.
In the morning the kitchen smells of fresh bread, hot milk and strong black coffee.
Engineers check the engines, the fuel lines and the weather before every launch.
The astronaut trained for years before she flew to the space station and back.
Cats like to sleep in warm places: on a sofa, in a box, or in a patch of sunlight.
Please answer the question about the image with a single word or a short phrase.
What is the main object? What is in the background? What is happening here?
The sky is blue, the grass is green, the sun is yellow and the clouds are white.
A black and white photo of a man with a camera, taken in the nineteen nineties.
Numbers: 0 1 2 3 4 5 6 7 8 9 10 12 24 32 64 100 336 576 1024, and a price of $3.50.
Question: Where was this picture taken? Answer: It was taken in a kitchen at home.
Question: What is the weather like? Answer: It is sunny and warm, with a light wind.
Small models can still answer simple questions about simple pictures, most of the time.
The vision tower turns the picture into patches, and the language model reads them as words.
Thank you! You are welcome. Good morning, good evening, good night, see you later.
"""

# ----------------------------------------------------------------------------------------------------
# Photos: (file name, skimage.data name, (width, height), crop box (left, top, right, bottom) or None,
#          output mode). Different sizes, aspect ratios, formats and colour modes.
PHOTO_SPECS = [
    ("chelsea_451x300.jpg", "chelsea", (451, 300), None, "RGB"),        # realistic size, landscape JPEG
    ("astronaut_200x200.png", "astronaut", (200, 200), None, "RGB"),    # square PNG
    ("coffee_120x80.jpg", "coffee", (120, 80), None, "RGB"),            # 3:2 landscape JPEG
    ("rocket_64x96.jpg", "rocket", (64, 96), (178, 0, 462, 427), "RGB"),  # 2:3 portrait JPEG (centre crop)
    ("camera_96x72_gray.png", "camera", (96, 72), (0, 64, 512, 448), "L"),  # 4:3 greyscale PNG
    ("logo_80x80_rgba.png", "logo", (80, 80), None, "RGBA"),            # PNG with alpha (composited on white)
]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_photos(force: bool) -> None:
    import skimage.data

    PHOTOS.mkdir(parents=True, exist_ok=True)
    for name, source, size, crop, mode in PHOTO_SPECS:
        path = PHOTOS / name
        if path.exists() and not force:
            continue
        img = Image.fromarray(getattr(skimage.data, source)())
        if crop is not None:
            img = img.crop(crop)
        if img.size != size:
            img = img.resize(size, Image.Resampling.LANCZOS)
        img = img.convert(mode)
        if name.endswith(".jpg"):
            img.save(path, format="JPEG", quality=90, optimize=False, progressive=False, subsampling="4:2:0")
        else:
            img.save(path, format="PNG", optimize=False, compress_level=9)
        print(f"  wrote {path.relative_to(REPO)} {img.size} {img.mode}")
    manifest = []
    for name, source, size, crop, mode in PHOTO_SPECS:
        path = PHOTOS / name
        with Image.open(path) as im:
            info = {
                "file": name,
                "source": f"skimage.data.{source}()",
                "format": im.format,
                "mode": im.mode,
                "width": im.size[0],
                "height": im.size[1],
                "sha256": sha256_file(path),
            }
            rgb = np.asarray(im.convert("RGB"))
        info["pil_rgb_sha256"] = hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest()
        info["pil_rgb_mean"] = [round(float(x), 4) for x in rgb.reshape(-1, 3).mean(0)]
        manifest.append(info)
    doc = {
        "comment": "Test photos from scikit-image's data folder, downscaled by scripts/make_llava_refs.py. "
        "pil_rgb_* describe Image.open(f).convert('RGB') as decoded by Pillow "
        + __import__("PIL").__version__
        + " (JPEG decoders may differ by a few levels). transformers composites RGBA onto white instead "
        "(see logo).",
        "photos": manifest,
    }
    (PHOTOS / "photos.json").write_text(json.dumps(doc, indent=2) + "\n")


# ----------------------------------------------------------------------------------------------------
# Tokenizers


def build_tokenizer(style: str):
    """Train a tiny byte-level BPE on CORPUS. style 'llama': <unk>,<s>,</s> at ids 0-2, BOS added by the
    post-processor, <image> and <pad> appended as added special tokens (like llava-1.5). style 'qwen2':
    Qwen2's split regex + byte level, NFC, no BOS, <|endoftext|>, <|im_start|>, <|im_end|>, <image>
    appended as added special tokens (like llava-interleave-qwen)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    lines = CORPUS.splitlines()
    tok = Tokenizer(models.BPE())
    if style == "llama":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        specials, target = ["<unk>", "<s>", "</s>"], 446
    else:
        tok.normalizer = normalizers.NFC()
        qwen_regex = (
            r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
            r"|\s+(?!\S)|\s+"
        )
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(qwen_regex), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
        specials, target = [], 444
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=target,
        min_frequency=2,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(lines, trainer)
    if style == "llama":
        tok.add_special_tokens(
            [AddedToken("<image>", special=True, normalized=False), AddedToken("<pad>", special=True, normalized=False)]
        )
        bos = tok.token_to_id("<s>")
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
        )
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        tok.add_special_tokens(
            [AddedToken(t, special=True, normalized=False) for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"]]
        )
    return tok


def tokenizer_config(tok, style: str, chat_template: str | None) -> dict:
    added = {}
    for tid, at in sorted(tok.get_added_tokens_decoder().items()):
        added[str(tid)] = {
            "content": at.content,
            "lstrip": at.lstrip,
            "normalized": at.normalized,
            "rstrip": at.rstrip,
            "single_word": at.single_word,
            "special": at.special,
        }
    if style == "llama":
        cfg = {
            "add_bos_token": True,
            "add_eos_token": False,
            "added_tokens_decoder": added,
            "bos_token": "<s>",
            "clean_up_tokenization_spaces": False,
            "eos_token": "</s>",
            "model_max_length": 4096,
            "pad_token": "<pad>",
            "padding_side": "left",
            "processor_class": "LlavaProcessor",
            "tokenizer_class": "PreTrainedTokenizerFast",
            "unk_token": "<unk>",
        }
    else:
        cfg = {
            "add_prefix_space": False,
            "added_tokens_decoder": added,
            "bos_token": None,
            "clean_up_tokenization_spaces": False,
            "eos_token": "<|im_end|>",
            "errors": "replace",
            "model_max_length": 32768,
            "pad_token": "<|endoftext|>",
            "padding_side": "left",
            "processor_class": "LlavaProcessor",
            "split_special_tokens": False,
            "tokenizer_class": "PreTrainedTokenizerFast",
            "unk_token": None,
        }
    if chat_template is not None:
        cfg["chat_template"] = chat_template
    return cfg


# ----------------------------------------------------------------------------------------------------
# Checkpoint specifications

# Seeds chosen (by trying 1-10 with --only/--seed) so that every greedy step of every case has a top-1/top-2
# logit margin of at least 0.018 (token-exact comparisons are then robust to float32 rounding differences)
# and some cases stop on an EOS id (legacy: </s>; siglip-qwen2: the second id of its EOS list).
SPECS = [
    {
        "name": "tiny-llava-clip-llama",
        "seed": 7,
        "vision": "clip",
        "text": "llama",
        "tok": "llama",
        "dtype": "float32",
        "layout": "hf5",
        "vision_feature_layer": -2,
        "strategy": "default",
        "template_form": "chat_template.json",
        "template": LLAVA15_CHAT_TEMPLATE,
        "do_pad": False,
    },
    {
        "name": "tiny-llava-clip-llama-legacy",
        "seed": 6,
        "vision": "clip",
        "text": "llama",
        "tok": "llama",
        "dtype": "bfloat16",
        "layout": "legacy",
        "vision_feature_layer": 2,
        "strategy": "full",
        "template_form": "tokenizer_config.json",
        "template": LLAVA15_CHAT_TEMPLATE,
        "do_pad": True,
    },
    {
        "name": "tiny-llava-siglip-qwen2",
        "seed": 2,
        "vision": "siglip",
        "text": "qwen2",
        "tok": "qwen2",
        "dtype": "float16",
        "layout": "save_pretrained",
        "vision_feature_layer": -1,
        "strategy": "full",
        "template_form": "chat_template.jinja",
        "template": INTERLEAVE_CHAT_TEMPLATE,
        "do_pad": False,
    },
]


def build_config(spec: dict, tok):
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, Qwen2Config, SiglipVisionConfig

    vocab = tok.get_vocab_size(with_added_tokens=True)
    image_id = tok.token_to_id("<image>")
    if spec["vision"] == "clip":
        vision = CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=4,
            num_attention_heads=2,
            image_size=56,
            patch_size=14,
            hidden_act="quick_gelu",
            layer_norm_eps=1e-5,
            projection_dim=32,
        )
    else:
        vision = SiglipVisionConfig(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=3,
            num_attention_heads=2,
            image_size=64,
            patch_size=16,
            hidden_act="gelu_pytorch_tanh",
            layer_norm_eps=1e-6,
            vision_use_head=True,
        )
    if spec["text"] == "llama":
        text = LlamaConfig(
            vocab_size=vocab,
            hidden_size=64,
            intermediate_size=96,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=4 if spec["layout"] == "legacy" else 2,  # legacy: omitted => MHA
            max_position_embeddings=512,
            rms_norm_eps=1e-6,
            bos_token_id=tok.token_to_id("<s>"),
            eos_token_id=tok.token_to_id("</s>"),
            pad_token_id=tok.token_to_id("<pad>"),
            tie_word_embeddings=False,
        )
    else:
        text = Qwen2Config(
            vocab_size=vocab,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=1024,
            rms_norm_eps=1e-6,
            rope_theta=1000000.0,
            bos_token_id=tok.token_to_id("<|endoftext|>"),
            eos_token_id=tok.token_to_id("<|im_end|>"),
            tie_word_embeddings=True,
        )
    cfg = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=image_id,
        vision_feature_layer=spec["vision_feature_layer"],
        vision_feature_select_strategy=spec["strategy"],
        projector_hidden_act="gelu",
        multimodal_projector_bias=True,
        image_seq_length=16 + (1 if spec["vision"] == "clip" and spec["strategy"] == "full" else 0),
        tie_word_embeddings=spec["text"] == "qwen2",
    )
    return cfg


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Every parameter from numpy.random.RandomState(seed), in sorted-name order: norm weights
    1 + 0.1 N(0,1), biases 0.1 N(0,1), token embeddings 0.3 N(0,1) (so that the decoder layers, not the
    current token's own embedding, dominate tied logits), an untied lm_head N(0,1) (sharp logits: wide
    greedy margins), position / class embeddings and SigLIP's probe 0.5 N(0,1), the decoder's q_proj and
    k_proj N(0, 9/fan_in) (sharp attention, so greedy text does not settle into one repeated token),
    other matrices and convolutions N(0, 1/fan_in)."""
    rs = np.random.RandomState(seed)
    modules = dict(model.named_modules())
    params = dict(model.named_parameters())  # tied parameters appear once
    for name in sorted(params):
        p = params[name]
        mod_name, _, leaf = name.rpartition(".")
        mod = modules[mod_name]
        shape = tuple(p.shape)
        is_norm = isinstance(mod, torch.nn.LayerNorm) or "RMSNorm" in type(mod).__name__
        if is_norm and leaf == "weight":
            v = 1.0 + 0.1 * rs.standard_normal(shape)
        elif leaf.endswith("bias"):
            v = 0.1 * rs.standard_normal(shape)
        elif isinstance(mod, torch.nn.Embedding) and "position" not in mod_name:
            v = 0.3 * rs.standard_normal(shape)
        elif name == "lm_head.weight":
            v = rs.standard_normal(shape)
        elif isinstance(mod, torch.nn.Embedding) or leaf in ("class_embedding", "probe"):
            v = 0.5 * rs.standard_normal(shape)
        elif len(shape) >= 2:
            fan_in = int(np.prod(shape[1:]))
            sharp = "language_model" in name and leaf == "weight" and mod_name.endswith(("q_proj", "k_proj"))
            v = rs.standard_normal(shape) * ((3.0 if sharp else 1.0) / np.sqrt(fan_in))
        else:
            raise ValueError(f"no rule for parameter {name} {shape}")
        with torch.no_grad():
            p.copy_(torch.from_numpy(v.astype(np.float32)))


def legacy_key(k: str) -> str:
    for old, new in (
        ("model.language_model.", "language_model.model."),
        ("lm_head.", "language_model.lm_head."),
        ("model.vision_tower.", "vision_tower.vision_model."),
        ("model.multi_modal_projector.", "multi_modal_projector."),
    ):
        if k.startswith(old):
            return new + k[len(old):]
    raise KeyError(k)


def legacy_config(cfg) -> dict:
    """An old-style (transformers 4.3x/4.4x) terse config.json: fields equal to transformers' defaults
    omitted (rms_norm_eps, rope, hidden_act, num_key_value_heads, eps of the ViT, projector act, ...)."""
    t, v = cfg.text_config, cfg.vision_config
    return {
        "architectures": ["LlavaForConditionalGeneration"],
        "ignore_index": -100,
        "image_token_index": cfg.image_token_index,
        "model_type": "llava",
        "pad_token_id": t.pad_token_id,
        "text_config": {
            "architectures": ["LlamaForCausalLM"],
            "hidden_size": t.hidden_size,
            "intermediate_size": t.intermediate_size,
            "max_position_embeddings": t.max_position_embeddings,
            "model_type": "llama",
            "num_attention_heads": t.num_attention_heads,
            "num_hidden_layers": t.num_hidden_layers,
            "pad_token_id": t.pad_token_id,
            "torch_dtype": "bfloat16",
            "vocab_size": t.vocab_size,
        },
        "torch_dtype": "bfloat16",
        "transformers_version": "4.36.0.dev0",
        "vision_config": {
            "hidden_size": v.hidden_size,
            "image_size": v.image_size,
            "intermediate_size": v.intermediate_size,
            "model_type": "clip_vision_model",
            "num_attention_heads": v.num_attention_heads,
            "num_hidden_layers": v.num_hidden_layers,
            "patch_size": v.patch_size,
            "projection_dim": v.projection_dim,
        },
        "vision_feature_layer": cfg.vision_feature_layer,
        "vision_feature_select_strategy": cfg.vision_feature_select_strategy,
    }


def preprocessor_config(spec: dict) -> dict:
    if spec["vision"] == "siglip":
        return {
            "do_convert_rgb": True,
            "do_normalize": True,
            "do_rescale": True,
            "do_resize": True,
            "image_mean": [0.5, 0.5, 0.5],
            "image_processor_type": "SiglipImageProcessor",
            "image_std": [0.5, 0.5, 0.5],
            "processor_class": "LlavaProcessor",
            "resample": 3,
            "rescale_factor": 0.00392156862745098,
            "size": {"height": 64, "width": 64},
        }
    cfg = {
        "crop_size": {"height": 56, "width": 56},
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
        "size": {"shortest_edge": 56},
    }
    if spec["do_pad"]:
        cfg["image_processor_type"] = "LlavaImageProcessor"
        cfg["do_pad"] = True
    return cfg


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write_checkpoint(spec: dict, out: Path):
    from transformers import LlavaForConditionalGeneration

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tok = build_tokenizer(spec["tok"])
    cfg = build_config(spec, tok)
    torch.manual_seed(spec["seed"])
    model = LlavaForConditionalGeneration(cfg).eval()
    randomise(model, spec["seed"])
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[spec["dtype"]]

    if spec["layout"] == "save_pretrained":
        model.to(dtype).save_pretrained(out)
        model.to(torch.float32)
        # image_token_id is the newer spelling of the same field (LlavaConfig.attribute_map).
        conf = json.loads((out / "config.json").read_text())
        conf["image_token_id"] = conf.pop("image_token_index")
        # Qwen2 as its own checkpoints write RoPE: a top-level rope_theta.
        conf["text_config"]["rope_theta"] = conf["text_config"].pop("rope_parameters")["rope_theta"]
        write_json(out / "config.json", dict(sorted(conf.items())))
        (out / "generation_config.json").unlink(missing_ok=True)
    else:
        sd = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
        if spec["layout"] == "legacy":
            sd = {legacy_key(k): v for k, v in sd.items()}
            write_json(out / "config.json", legacy_config(cfg))
        else:
            model.config.save_pretrained(out)
            conf = json.loads((out / "config.json").read_text())
            conf["dtype"] = spec["dtype"]
            write_json(out / "config.json", conf)
        save_file(dict(sorted(sd.items())), str(out / "model.safetensors"), metadata={"format": "pt"})

    # Tokenizer, processor, templates, generation config.
    tok.save(str(out / "tokenizer.json"))
    in_tok_cfg = spec["template"] if spec["template_form"] == "tokenizer_config.json" else None
    write_json(out / "tokenizer_config.json", tokenizer_config(tok, spec["tok"], in_tok_cfg))
    if spec["tok"] == "llama":
        write_json(out / "special_tokens_map.json", {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"})
    if spec["template_form"] == "chat_template.json":
        write_json(out / "chat_template.json", {"chat_template": spec["template"]})
    elif spec["template_form"] == "chat_template.jinja":
        (out / "chat_template.jinja").write_text(spec["template"])
    write_json(out / "preprocessor_config.json", preprocessor_config(spec))
    write_json(
        out / "processor_config.json",
        {
            "image_token": "<image>",
            "num_additional_image_tokens": 1 if spec["vision"] == "clip" else 0,
            "patch_size": cfg.vision_config.patch_size,
            "processor_class": "LlavaProcessor",
            "vision_feature_select_strategy": spec["strategy"],
        },
    )
    if spec["tok"] == "llama":
        gen = {"bos_token_id": tok.token_to_id("<s>"), "eos_token_id": tok.token_to_id("</s>"), "pad_token_id": tok.token_to_id("<pad>")}
    else:
        gen = {
            "bos_token_id": tok.token_to_id("<|endoftext|>"),
            "eos_token_id": [tok.token_to_id("<|im_end|>"), tok.token_to_id("<|endoftext|>")],
            "pad_token_id": tok.token_to_id("<|endoftext|>"),
        }
    write_json(out / "generation_config.json", gen)
    return model, tok


# ----------------------------------------------------------------------------------------------------
# Reference cases


def cases_for(spec: dict) -> list[dict]:
    q = "What is shown in this image?"
    if spec["tok"] == "llama":
        raw1 = "USER: <image>\nWhat is this? ASSISTANT:"
        raw2 = "USER: Describe <image> in a few words. ASSISTANT:"
    else:
        raw1 = "<|im_start|>user\n<image>\nWhat is this?<|im_end|>\n<|im_start|>assistant\n"
        raw2 = "<|im_start|>user\nDescribe <image> in a few words.<|im_end|>\n<|im_start|>assistant\n"
    return [
        {"name": "raw_chelsea", "kind": "raw", "images": ["chelsea_451x300.jpg"], "prompt": raw1},
        {
            "name": "chat_astronaut",
            "kind": "chat",
            "images": ["astronaut_200x200.png"],
            "messages": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": q}]}],
        },
        {
            "name": "chat_two_images",
            "kind": "chat",
            "images": ["coffee_120x80.jpg", "rocket_64x96.jpg"],
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image"},
                        {"type": "image"},
                        {"type": "text", "text": "Compare the two pictures."},
                    ],
                }
            ],
        },
        {
            "name": "chat_multiturn_camera",
            "kind": "chat",
            "images": ["camera_96x72_gray.png"],
            "messages": [
                {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": q}]},
                {"role": "assistant", "content": [{"type": "text", "text": "A man with a camera."}]},
                {"role": "user", "content": [{"type": "text", "text": "What is in the background?"}]},
            ],
        },
        {"name": "raw_logo_rgba", "kind": "raw", "images": ["logo_80x80_rgba.png"], "prompt": raw2},
    ]


def compute_references(spec: dict, ckpt: Path) -> None:
    from transformers import AutoProcessor, LlavaForConditionalGeneration

    torch.manual_seed(0)
    model = LlavaForConditionalGeneration.from_pretrained(
        ckpt, dtype=torch.float32, attn_implementation="eager", output_loading_info=False
    ).eval()
    _, info = LlavaForConditionalGeneration.from_pretrained(ckpt, dtype=torch.float32, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k != "error_msgs"}
    if bad or info.get("error_msgs"):
        raise RuntimeError(f"{ckpt.name}: loading problems {info}")
    processor = AutoProcessor.from_pretrained(ckpt, backend="pil")
    ip = processor.image_processor
    assert type(ip).__name__.endswith("Pil"), type(ip)

    cfg = model.config
    vt = cfg.vision_config
    tc = cfg.text_config
    eos = model.generation_config.eos_token_id
    eos = eos if isinstance(eos, list) else [eos]
    template = processor.chat_template or processor.tokenizer.chat_template
    assert template == spec["template"], "chat template did not round-trip"

    captured = {}

    def hook(_m, args, output):
        captured["image_features"] = args[0].detach().clone()
        captured["projected"] = output.detach().clone()

    handle = model.model.multi_modal_projector.register_forward_hook(hook)
    tensors: dict[str, torch.Tensor] = {}
    cases_out = []
    for case in cases_for(spec):
        images = [Image.open(PHOTOS / f) for f in case["images"]]
        for im in images:
            im.load()
        if case["kind"] == "chat":
            prompt = processor.apply_chat_template(
                case["messages"], chat_template=template, add_generation_prompt=True, tokenize=False
            )
        else:
            prompt = case["prompt"]
        inputs = processor(images=images, text=prompt, return_tensors="pt")
        input_ids = inputs["input_ids"]
        pv = inputs["pixel_values"].float()
        with torch.no_grad():
            captured.clear()
            out = model(**inputs)
            logits_last = out.logits[0, -1].clone()
            feats, proj = captured["image_features"], captured["projected"]
            vis = model.model.vision_tower(pv, output_hidden_states=True)
            hs = torch.stack(list(vis.hidden_states))  # [L+1, n_img, T, Cv]
            # The projector input must be exactly the configured layer after the select strategy.
            sel = vis.hidden_states[cfg.vision_feature_layer]
            if cfg.vision_feature_select_strategy == "default":
                sel = sel[:, 1:]
            assert torch.equal(sel, feats), "image_features != hidden_states[layer] after selection"
            gen = model.generate(
                **inputs,
                do_sample=False,
                max_new_tokens=MAX_NEW_TOKENS,
                output_logits=True,
                return_dict_in_generate=True,
            )
        new_ids = gen.sequences[0, input_ids.shape[1]:].tolist()
        step_logits = torch.stack([l[0] for l in gen.logits])
        assert torch.allclose(step_logits[0], logits_last, atol=1e-4, rtol=1e-4)
        top2 = step_logits.topk(2, dim=-1).values
        margins = (top2[:, 0] - top2[:, 1]).tolist()
        n_img = pv.shape[0]
        m = feats.shape[1]
        n_tok = int((input_ids == cfg.image_token_id).sum())
        assert n_tok == n_img * m, (n_tok, n_img, m)
        name = case["name"]
        tensors[f"{name}.pixel_values"] = pv.contiguous()
        tensors[f"{name}.vision_hidden_states"] = hs.contiguous()
        tensors[f"{name}.image_features"] = feats.contiguous()
        tensors[f"{name}.projected"] = proj.contiguous()
        tensors[f"{name}.logits_last"] = logits_last.contiguous()
        entry = {
            "name": name,
            "kind": case["kind"],
            "images": case["images"],
            "image_sizes_wh": [list(im.size) for im in images],
            "image_modes": [im.mode for im in images],
        }
        if case["kind"] == "chat":
            entry["messages"] = case["messages"]
        entry.update(
            {
                "prompt": prompt,
                "input_ids": input_ids[0].tolist(),
                "num_image_tokens_per_image": m,
                "image_token_positions_first": [i for i, t in enumerate(input_ids[0].tolist()) if t == cfg.image_token_id][:: m],
                "greedy_ids": new_ids,
                "greedy_text": processor.tokenizer.decode(new_ids, skip_special_tokens=False),
                "greedy_stopped_on_eos": bool(new_ids and new_ids[-1] in eos),
                "greedy_min_margin": round(min(margins), 5),
                "greedy_margins": [round(x, 5) for x in margins],
                "logits_last_argmax": int(logits_last.argmax()),
                "tensors": {
                    "pixel_values": list(pv.shape),
                    "vision_hidden_states": list(hs.shape),
                    "image_features": list(feats.shape),
                    "projected": list(proj.shape),
                    "logits_last": list(logits_last.shape),
                },
            }
        )
        cases_out.append(entry)
        print(
            f"  {name:24s} ids={len(entry['input_ids']):3d} M={m} gen={len(new_ids)} "
            f"min_margin={min(margins):.4f} text={entry['greedy_text'][:40]!r}"
        )
    handle.remove()

    save_file(tensors, str(ckpt / "reference.safetensors"), metadata={"format": "pt"})
    ref = {
        "comment": "Made by scripts/make_llava_refs.py with transformers in float32 (eager attention, PIL image "
        "backend) from the checkpoint in this directory. Tensors are in reference.safetensors under "
        "'<case>.<tensor>'. vision_hidden_states[i] = ViT hidden_states[i] (i=0: encoder input, i.e. after "
        "CLIP's pre_layrnorm; no post_layernorm anywhere); image_features = hidden_states[vision_feature_layer] "
        "after the select strategy ('default' drops CLS), which is the projector input; projected = projector "
        "output; logits_last = logits at the last prompt position. greedy_ids = new tokens of "
        "generate(do_sample=False, max_new_tokens=24), including the EOS token if it stopped on one.",
        "checkpoint": ckpt.name,
        "transformers_version": __import__("transformers").__version__,
        "torch_version": torch.__version__,
        "compute_dtype": "float32",
        "disk_dtype": spec["dtype"],
        "key_layout": spec["layout"],
        "image_processor": type(ip).__name__,
        "image_token_id": cfg.image_token_id,
        "eos_token_ids": eos,
        "vocab_size": tc.vocab_size,
        "vision_feature_layer": cfg.vision_feature_layer,
        "vision_feature_select_strategy": cfg.vision_feature_select_strategy,
        "vision_num_layers": vt.num_hidden_layers,
        "max_new_tokens": MAX_NEW_TOKENS,
        "cases": cases_out,
    }
    write_json(ckpt / "reference.json", ref)
    return min(c["greedy_min_margin"] for c in cases_out)


def check_round_trip(model, spec: dict, ckpt: Path) -> None:
    """transformers must read back exactly what was meant: the same config values (whatever the file
    omits or spells differently) and every tensor in its place (after rounding to the disk dtype)."""
    from transformers import LlavaForConditionalGeneration

    loaded, info = LlavaForConditionalGeneration.from_pretrained(ckpt, dtype=torch.float32, output_loading_info=True)
    if any(info.values()):
        raise RuntimeError(f"{ckpt.name}: loading problems {info}")
    a, b = model.config, loaded.config
    for sub in ("text_config", "vision_config"):
        x, y = getattr(a, sub), getattr(b, sub)
        for f in (
            "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
            "hidden_act", "rms_norm_eps", "layer_norm_eps", "vocab_size", "tie_word_embeddings", "attention_bias",
            "image_size", "patch_size", "vision_use_head", "max_position_embeddings",
        ):
            if hasattr(x, f) or hasattr(y, f):
                assert getattr(x, f, None) == getattr(y, f, None), (ckpt.name, sub, f, getattr(x, f, None), getattr(y, f, None))
        if sub == "text_config":
            assert x.rope_parameters["rope_theta"] == y.rope_parameters["rope_theta"], (ckpt.name, "rope_theta")
    for f in ("image_token_id", "vision_feature_layer", "vision_feature_select_strategy", "projector_hidden_act",
              "multimodal_projector_bias", "tie_word_embeddings"):
        assert getattr(a, f) == getattr(b, f), (ckpt.name, f, getattr(a, f), getattr(b, f))
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[spec["dtype"]]
    want = model.state_dict()
    got = loaded.state_dict()
    assert set(want) == set(got), set(want) ^ set(got)
    for k, v in want.items():
        assert torch.equal(v.to(dtype).float(), got[k]), (ckpt.name, k)


def check_tokenizer(ckpt: Path) -> None:
    """transformers' tokenizer (from tokenizer_config.json + tokenizer.json) must agree with the raw one."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    raw = Tokenizer.from_file(str(ckpt / "tokenizer.json"))
    hf = AutoTokenizer.from_pretrained(ckpt)
    for s in CORPUS.splitlines()[:6] + ["<image>\n<|im_start|>héllo wörld  \n\n x"]:
        a = raw.encode(s).ids
        b = hf(s)["input_ids"]
        assert a == b, (ckpt.name, s, a, b)
    assert len(hf) == raw.get_vocab_size(with_added_tokens=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", action="store_true", help="re-encode the photos even if they exist")
    ap.add_argument("--only", help="build only this checkpoint (development)")
    ap.add_argument("--seed", type=int, help="override the seed of --only (development: seed search)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    print("photos")
    make_photos(args.photos)
    for spec in SPECS:
        if args.only and spec["name"] != args.only:
            continue
        if args.seed is not None:
            spec = dict(spec, seed=args.seed)
        out = FIXTURES / spec["name"]
        print(spec["name"])
        model, _ = write_checkpoint(spec, out)
        check_round_trip(model, spec, out)
        check_tokenizer(out)
        margin = compute_references(spec, out)
        size = sum(p.stat().st_size for p in out.iterdir())
        print(f"  seed {spec['seed']}: {size / 1024:.0f} KiB, smallest greedy top-1/top-2 logit margin {margin:.4f}")


if __name__ == "__main__":
    main()
