#!/usr/bin/env python3
"""Convert the tokenizer stored in a GGUF file into HuggingFace `tokenizer.json` + `tokenizer_config.json`.

Usage:
    python3 scripts/gguf_tokenizer.py MODEL.gguf OUT_DIR
or, from Python:
    from gguf_tokenizer import convert_gguf_tokenizer
    convert_gguf_tokenizer("model.gguf", "out_dir")

Two tokenizer families are handled, the two that `tokenizer.ggml.model` names:

* `gpt2`: byte-level BPE. Tokens and merges are copied as they are (GGUF keeps the byte-level
  spelling, "Ġ" for a space). `tokenizer.ggml.pre` (llama.cpp's pre-tokenizer name) selects the
  normalizer / pre-tokenizer JSON that the original model's tokenizer.json carries; the table
  `BYTE_LEVEL_PRESETS` below maps each supported name, and any other name is an error rather than a
  guess.
* `llama`: SentencePiece BPE with byte fallback (LLaMA-2, Vicuna, TinyLlama, Phi-3). It becomes the
  tokenizer.json that transformers' `LlamaConverter` writes: normalizer Prepend("▁") + Replace(" ", "▁"),
  no pre-tokenizer, BPE with `byte_fallback` and `fuse_unk`, merges derived from the vocabulary and the
  piece scores the way `SentencePieceExtractor` / `generate_merges` do it, and the decoder
  Replace("▁", " ") + ByteFallback + Fuse + Strip(left 1).

GGUF token types (llama.cpp `llama_token_type`): 1 normal, 2 unknown, 3 control, 4 user defined,
5 unused, 6 byte. Control tokens become special added tokens, user-defined ones non-special added tokens
(except llama.cpp's own padding entries "[PAD<id>]", which exist only to round the vocabulary up and are
not tokens of the original tokenizer).

Needs: `pip install gguf numpy`.
"""

from __future__ import annotations

import json
import os
import sys

SPIECE_UNDERLINE = "\u2581"

TOKEN_TYPE_NORMAL = 1
TOKEN_TYPE_UNKNOWN = 2
TOKEN_TYPE_CONTROL = 3
TOKEN_TYPE_USER_DEFINED = 4
TOKEN_TYPE_UNUSED = 5
TOKEN_TYPE_BYTE = 6

# The Split regexes exactly as the models' own tokenizer.json files spell them.
# (llama.cpp's src/llama-vocab.cpp carries the same expressions, rewritten without `(?i:...)`.)
REGEX_LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
REGEX_QWEN2 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def _byte_level(add_prefix_space: bool, trim_offsets: bool, use_regex: bool) -> dict:
    return {
        "type": "ByteLevel",
        "add_prefix_space": add_prefix_space,
        "trim_offsets": trim_offsets,
        "use_regex": use_regex,
    }


def _split(regex: str) -> dict:
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}


# llama.cpp pre-tokenizer name -> (normalizer, pre_tokenizer, ignore_merges, add_bos default) as in the
# tokenizer.json of the model that llama.cpp's convert_hf_to_gguf_update.py names for it.
_GPT2 = (None, _byte_level(False, True, True), False, False)  # openai-community/gpt2
_LLAMA3 = (  # meta-llama/Meta-Llama-3-8B
    None,
    {"type": "Sequence", "pretokenizers": [_split(REGEX_LLAMA3), _byte_level(False, True, False)]},
    True,
    True,
)
_QWEN2 = (  # Qwen/Qwen1.5-7B, Qwen2, Qwen2.5 (and DeepSeek-R1-Distill-Qwen, which keeps Qwen2.5's tokenizer)
    {"type": "NFC"},
    {"type": "Sequence", "pretokenizers": [_split(REGEX_QWEN2), _byte_level(False, False, False)]},
    False,
    False,
)
_DIGITS_BYTE_LEVEL = (  # bigcode/starcoder, HuggingFaceTB/SmolLM-135M, HuggingFaceTB/SmolLM2-*
    None,
    {
        "type": "Sequence",
        "pretokenizers": [{"type": "Digits", "individual_digits": True}, _byte_level(False, True, True)],
    },
    False,
    False,
)
BYTE_LEVEL_PRESETS = {
    "gpt-2": _GPT2,
    "phi-2": _GPT2,  # microsoft/phi-2 ships the GPT-2 style (CodeGen) tokenizer
    "llama-bpe": _LLAMA3,
    "llama3": _LLAMA3,
    "llama-v3": _LLAMA3,
    "qwen2": _QWEN2,
    "deepseek-r1-qwen": _QWEN2,
    "smollm": _DIGITS_BYTE_LEVEL,
    "starcoder": _DIGITS_BYTE_LEVEL,
}


class GGUFTokenizerError(Exception):
    pass


def _field(reader, key, default=None):
    field = reader.fields.get(key)
    if field is None:
        return default
    return field.contents()


def _is_llama_cpp_padding(token: str, token_id: int) -> bool:
    return token == f"[PAD{token_id}]"


def _added_token(token_id: int, content: str, special: bool) -> dict:
    return {
        "id": token_id,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": special,
    }


def _vocab_dict(tokens: list[str]) -> dict[str, int]:
    vocab: dict[str, int] = {}
    for token_id, token in enumerate(tokens):
        # A token spelled twice keeps its first id, as a JSON object keeps one value per key.
        vocab.setdefault(token, token_id)
    return vocab


def _generate_merges(vocab: dict[str, int], vocab_scores: list[tuple[str, float]], skip: set[str]) -> list[list[str]]:
    """transformers' `generate_merges(vocab, vocab_scores)` (tokenization_utils_base / convert_slow_tokenizer):
    every split of every piece into two pieces of the vocabulary is a merge, ranked by the score of the
    merged piece (highest first; ties: longer left part, then longer right part)."""
    merges = []
    for piece, score in vocab_scores:
        if piece in skip:
            continue
        local = []
        for index in range(1, len(piece)):
            left, right = piece[:index], piece[index:]
            if left in skip or right in skip:
                continue
            if left in vocab and right in vocab:
                local.append((left, right, score))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: (m[2], len(m[0]), len(m[1])), reverse=True)
    return [[left, right] for left, right, _ in merges]


def _template_post_processor(bos: str | None, bos_id: int | None, eos: str | None, eos_id: int | None,
                             add_bos: bool, add_eos: bool) -> dict | None:
    """TemplateProcessing as LlamaTokenizerFast.update_post_processor() builds it."""
    if not add_bos and not add_eos:
        return None
    single, pair, special = [], [], {}
    if add_bos and bos is not None:
        single.append({"SpecialToken": {"id": bos, "type_id": 0}})
        special[bos] = {"id": bos, "ids": [bos_id], "tokens": [bos]}
    single.append({"Sequence": {"id": "A", "type_id": 0}})
    if add_eos and eos is not None:
        single.append({"SpecialToken": {"id": eos, "type_id": 0}})
        special[eos] = {"id": eos, "ids": [eos_id], "tokens": [eos]}
    # The pair template repeats the single one for B with type_id 1.
    for item in single:
        if "Sequence" in item:
            pair.append({"Sequence": {"id": "B", "type_id": 1}})
        else:
            pair.append({"SpecialToken": {"id": item["SpecialToken"]["id"], "type_id": 1}})
    return {"type": "TemplateProcessing", "single": single, "pair": single + pair, "special_tokens": special}


def _model_json(vocab: dict[str, int], merges: list[list[str]], *, unk_token: str | None, fuse_unk: bool,
                byte_fallback: bool, ignore_merges: bool) -> dict:
    return {
        "type": "BPE",
        "dropout": None,
        "unk_token": unk_token,
        "continuing_subword_prefix": None,
        "end_of_word_suffix": None,
        "fuse_unk": fuse_unk,
        "byte_fallback": byte_fallback,
        "ignore_merges": ignore_merges,
        "vocab": vocab,
        "merges": merges,
    }


def build_tokenizer_files(metadata: dict) -> tuple[dict, dict]:
    """Build (tokenizer.json, tokenizer_config.json) dicts from GGUF tokenizer metadata.

    `metadata` keys: model, pre, tokens, token_types, merges, scores, bos_id, eos_id, unk_id, pad_id,
    add_bos, add_eos, add_space_prefix, chat_template (missing ones may be None)."""
    model_kind = metadata["model"]
    tokens: list[str] = list(metadata["tokens"])
    types: list[int] = list(metadata.get("token_types") or [TOKEN_TYPE_NORMAL] * len(tokens))
    if len(types) != len(tokens):
        raise GGUFTokenizerError(f"{len(tokens)} tokens but {len(types)} token types")
    vocab = _vocab_dict(tokens)

    def token_at(token_id):
        if token_id is None or not (0 <= token_id < len(tokens)):
            return None
        return tokens[token_id]

    bos_id, eos_id = metadata.get("bos_id"), metadata.get("eos_id")
    unk_id, pad_id = metadata.get("unk_id"), metadata.get("pad_id")
    bos, eos, unk, pad = token_at(bos_id), token_at(eos_id), token_at(unk_id), token_at(pad_id)

    added_tokens = []
    for token_id, (token, kind) in enumerate(zip(tokens, types)):
        if kind == TOKEN_TYPE_CONTROL or (kind == TOKEN_TYPE_UNKNOWN and token_id == unk_id):
            added_tokens.append(_added_token(token_id, token, special=True))
        elif kind == TOKEN_TYPE_USER_DEFINED and not _is_llama_cpp_padding(token, token_id):
            added_tokens.append(_added_token(token_id, token, special=False))

    if model_kind == "gpt2":
        pre = metadata.get("pre") or "default"
        if pre not in BYTE_LEVEL_PRESETS:
            raise GGUFTokenizerError(
                f"unsupported llama.cpp pre-tokenizer '{pre}' (supported: {', '.join(sorted(BYTE_LEVEL_PRESETS))})"
            )
        normalizer, pre_tokenizer, ignore_merges, default_add_bos = BYTE_LEVEL_PRESETS[pre]
        add_bos = metadata.get("add_bos")
        add_bos = default_add_bos if add_bos is None else bool(add_bos)
        add_eos = bool(metadata.get("add_eos") or False)
        merges = []
        for rank, line in enumerate(metadata.get("merges") or []):
            parts = line.split(" ")
            if len(parts) != 2:
                raise GGUFTokenizerError(f"merge {rank} is not two tokens separated by one space: {line!r}")
            merges.append(parts)
        model = _model_json(vocab, merges, unk_token=None, fuse_unk=False, byte_fallback=False,
                            ignore_merges=ignore_merges)
        template = _template_post_processor(bos, bos_id, eos, eos_id, add_bos, add_eos)
        byte_level_processor = _byte_level(True, False, True)
        if template is None:
            post_processor = byte_level_processor
        else:
            post_processor = {"type": "Sequence", "processors": [byte_level_processor, template]}
        decoder = _byte_level(True, True, True)
    elif model_kind == "llama":
        scores = metadata.get("scores")
        if scores is None or len(scores) != len(tokens):
            raise GGUFTokenizerError("a SentencePiece ('llama') vocabulary needs one score per token")
        add_bos = metadata.get("add_bos")
        add_bos = True if add_bos is None else bool(add_bos)
        add_eos = bool(metadata.get("add_eos") or False)
        add_space_prefix = metadata.get("add_space_prefix")
        add_space_prefix = True if add_space_prefix is None else bool(add_space_prefix)
        # LlamaConverter.vocab(): the first three pieces (<unk>, <s>, </s>) get score 0.
        vocab_scores = [(token, 0.0 if i < 3 else float(scores[i])) for i, token in enumerate(tokens)]
        skip = {
            token for token_id, (token, kind) in enumerate(zip(tokens, types))
            if kind in (TOKEN_TYPE_CONTROL, TOKEN_TYPE_USER_DEFINED, TOKEN_TYPE_UNUSED)
            or (kind == TOKEN_TYPE_UNKNOWN and (token_id == unk_id or _is_llama_cpp_padding(token, token_id)))
        }
        merges = _generate_merges(vocab, vocab_scores, skip)
        model = _model_json(vocab, merges, unk_token=unk, fuse_unk=True, byte_fallback=True, ignore_merges=False)
        steps = []
        if add_space_prefix:
            steps.append({"type": "Prepend", "prepend": SPIECE_UNDERLINE})
        steps.append({"type": "Replace", "pattern": {"String": " "}, "content": SPIECE_UNDERLINE})
        normalizer = {"type": "Sequence", "normalizers": steps}
        pre_tokenizer = None
        post_processor = _template_post_processor(bos, bos_id, eos, eos_id, add_bos, add_eos)
        decoder_steps = [
            {"type": "Replace", "pattern": {"String": SPIECE_UNDERLINE}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
        ]
        if add_space_prefix:
            decoder_steps.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
        decoder = {"type": "Sequence", "decoders": decoder_steps}
    else:
        raise GGUFTokenizerError(f"unsupported tokenizer.ggml.model '{model_kind}' (supported: gpt2, llama)")

    tokenizer_json = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": post_processor,
        "decoder": decoder,
        "model": model,
    }

    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "clean_up_tokenization_spaces": False,
        "add_bos_token": add_bos,
        "add_eos_token": add_eos,
    }
    for key, value in (("bos_token", bos), ("eos_token", eos), ("unk_token", unk), ("pad_token", pad)):
        if value is not None:
            config[key] = value
    if metadata.get("chat_template"):
        config["chat_template"] = metadata["chat_template"]
    return tokenizer_json, config


def read_gguf_tokenizer_metadata(gguf_path: str) -> dict:
    try:
        from gguf import GGUFReader
    except ImportError as error:  # pragma: no cover - message for the user
        raise GGUFTokenizerError("the 'gguf' package is missing: pip install gguf numpy") from error
    reader = GGUFReader(gguf_path)

    def int_or_none(key):
        value = _field(reader, key)
        return None if value is None else int(value)

    def bool_or_none(key):
        value = _field(reader, key)
        return None if value is None else bool(value)

    model = _field(reader, "tokenizer.ggml.model")
    if model is None:
        raise GGUFTokenizerError(f"{gguf_path}: no tokenizer.ggml.model key (not a GGUF with a tokenizer?)")
    return {
        "model": model,
        "pre": _field(reader, "tokenizer.ggml.pre"),
        "tokens": _field(reader, "tokenizer.ggml.tokens"),
        "token_types": _field(reader, "tokenizer.ggml.token_type"),
        "merges": _field(reader, "tokenizer.ggml.merges"),
        "scores": _field(reader, "tokenizer.ggml.scores"),
        "bos_id": int_or_none("tokenizer.ggml.bos_token_id"),
        "eos_id": int_or_none("tokenizer.ggml.eos_token_id"),
        "unk_id": int_or_none("tokenizer.ggml.unknown_token_id"),
        "pad_id": int_or_none("tokenizer.ggml.padding_token_id"),
        "add_bos": bool_or_none("tokenizer.ggml.add_bos_token"),
        "add_eos": bool_or_none("tokenizer.ggml.add_eos_token"),
        "add_space_prefix": bool_or_none("tokenizer.ggml.add_space_prefix"),
        "chat_template": _field(reader, "tokenizer.chat_template"),
    }


def convert_gguf_tokenizer(gguf_path: str, out_dir: str) -> tuple[str, str]:
    """Write OUT_DIR/tokenizer.json and OUT_DIR/tokenizer_config.json; return their paths."""
    metadata = read_gguf_tokenizer_metadata(os.fspath(gguf_path))
    try:
        tokenizer_json, config = build_tokenizer_files(metadata)
    except GGUFTokenizerError as error:
        raise GGUFTokenizerError(f"{gguf_path}: {error}") from None
    os.makedirs(out_dir, exist_ok=True)
    tokenizer_path = os.path.join(out_dir, "tokenizer.json")
    config_path = os.path.join(out_dir, "tokenizer_config.json")
    with open(tokenizer_path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json, f, ensure_ascii=False, indent=None, separators=(",", ":"))
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return tokenizer_path, config_path


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {os.path.basename(argv[0])} MODEL.gguf OUT_DIR", file=sys.stderr)
        return 2
    try:
        paths = convert_gguf_tokenizer(argv[1], argv[2])
    except (GGUFTokenizerError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
