#!/usr/bin/env python3
"""Write fuzz.json next to each fetched tokenizer.json: HF tokenizers' ids and texts for many generated inputs.

Usage:
    python3 scripts/make_tokenizer_fuzz_vectors.py CACHE_DIR

CACHE_DIR is fixtures-cache/tokenizers. For each vocabulary directory in it (qwen2, gpt-2, phi-3, llama-bpe,
llama-spm) this writes <dir>/fuzz.json, and it also derives three variants of real tokenizer.json files so
that pre-tokenizers the five vocabularies do not use are checked against HF too:

* gpt-2-digits: GPT-2's vocabulary with SmolLM2's / StarCoder's pre-tokenizer
  Sequence[Digits(individual_digits), ByteLevel(use_regex)];
* gpt-2-split-regex: GPT-2's vocabulary with a Split on llama.cpp's spelling of the GPT-2 regex (no final
  `\\s+`), which the Swift tokenizer hands to ICU instead of its hand-written matchers;
* llama-spm-metaspace: LLaMA-2's vocabulary in the newer "legacy: false" form, Metaspace pre-tokenizer
  (prepend_scheme "first", split false) and Metaspace decoder instead of the Prepend/Replace normalizer;
* llama-spm-metaspace-legacy: the older Metaspace form, `add_prefix_space: true` (prepend always, split on
  "▁"), with a Metaspace + ByteFallback decoder.

fuzz.json holds {"texts": [{"text", "ids", "ids_with_special_tokens", "decoded", "decoded_skipping_special"}],
"id_sequences": [{"ids", "decoded", "decoded_skipping_special"}]}: the inputs are generated from a fixed seed
(letters, digits, whitespace runs, contractions, punctuation, accents in NFC and NFD, CJK, emoji, other
scripts, special tokens, code), the id sequences are random ids (so they decode to broken UTF-8 too).
The expected values are HF tokenizers' output. Needs: pip install tokenizers.
"""

import json
import os
import random
import sys

VOCABULARIES = ["qwen2", "gpt-2", "phi-3", "llama-bpe", "llama-spm"]

PIECES = {
    "words": ["Hello", "world", "the", "I", "don", "t", "you", "THE", "Apple", "iPhone", "a", "zebra", "xylophone",
              "tokenization", "LLaVA", "vision", "model", "HELLO", "wOrLd", "QwQ", "x", "multimodal", "image"],
    "contractions": ["'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'d", "'D",
                     "\u2019s", "'\u017f", "'x", "'", "''", "'\u212a"],
    "whitespace": [" ", "  ", "   ", "    ", "\t", "\n", "\r\n", "\n\n", "\n\n\n", " \n ", "\t\n", " \t ", "\u00a0",
                   "\u3000", "\u2009", "\u000b", "\u000c", "\u0085", "\u2028", "\r", " \r\n  ", "\n \n"],
    "numbers": ["0", "7", "42", "123", "1234", "31415926", "3.14", "1,000,000", "2024-01-31", "\u0663\u0664\u0665",
                "\uff11\uff12\uff13", "\u00b2", "\u216b", "\u00bd", "10\u00b0C", "v1.2.3", "0x1F"],
    "punctuation": ["!", "...", "?!", "(", ")", "--", "\"", "\u00ab\u00bb", "\u2014", "\u3001", "\u3002", "@#$%",
                    "~", "`", "{}", "[]", ".", ",", ";", ":", "!!!!!!", "<", ">", "=>", "->", "//", "#", "&&", "*"],
    "accents": ["caf\u00e9", "na\u00efve", "cafe\u0301", "A\u030angstro\u0308m", "\u00c5ngstr\u00f6m", "C\u1eeda Vi\u1ec7t",
                "\u00f1", "n\u0303", "\u00c4pfel", "ied 4 \u00bd months", "\u0130stanbul", "\u00df", "stra\u00dfe"],
    "cjk": ["\u4f60\u597d\u4e16\u754c", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8", "\ud55c\uad6d\uc5b4",
            "\u6211\u60f3\u5728apple\u5de5\u4f5c1314151\u5929\uff5e", "\u30ab\u30bf\u30ab\u30ca", "\U00020000"],
    "emoji": ["\U0001f999", "\U0001f601", "\U0001f44d\U0001f3fd", "\U0001f1fa\U0001f1f8",
              "\U0001f636\u200d\U0001f32b\ufe0f", "\u2764\ufe0f", "\U0001f680", "\u2705", "\U0001f468\u200d\U0001f469\u200d\U0001f467"],
    "scripts": ["\u043d\u0435\u0449\u043e \u043d\u0430 \u0411\u044a\u043b\u0433\u0430\u0440\u0441\u043a\u0438",
                "\u0645\u0631\u062d\u0628\u0627", "\u0928\u092e\u0938\u094d\u0924\u0947",
                "\u1780\u17b6\u1793\u17cb\u178f\u17c2\u1796\u17b7\u179f\u17c1\u179f", "\u03b5\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
                "\u05e9\u05dc\u05d5\u05dd", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35"],
    "special": ["<|endoftext|>", "<s>", "</s>", "<unk>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>",
                "<|eot_id|>", "<|user|>", "<|end|>", "<|assistant|>", "<|im_start|>user\n", "<s>[INST]", "<|"],
    "code": ["def foo(x):\n    return x ** 2", "    ", "\t\tif (a) {", "<div class=\"x\">", "}\n\n", "x += 1;",
             "#include <stdio.h>", "SELECT * FROM t;", "\\n", "a_b_c", "__init__", "https://example.com/a?b=c"],
    "rare": ["\u017f", "\u212a", "\u0001", "\u200b", "\ufeff", "\u0301", "\ue000", "\U0001d400", "\u00ad", "\u2581",
             "\u2581\u2581", "\u0120", "\u010a", "<0x41>", "\ufffd", "\u0000"],
}

SEPARATORS = ["", "", " ", " ", "  ", "\n", "\t", ",", " \n"]


def generate_texts(seed, count):
    rng = random.Random(seed)
    kinds = list(PIECES)
    texts = list(dict.fromkeys(piece for pieces in PIECES.values() for piece in pieces))
    while len(texts) < count:
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append(rng.choice(PIECES[rng.choice(kinds)]))
            parts.append(rng.choice(SEPARATORS))
        text = "".join(parts)
        if rng.random() < 0.3:
            text = " " + text
        texts.append(text)
    # A few long texts (SentencePiece-style tokenizers encode a whole stretch between added tokens as one word).
    for _ in range(4):
        texts.append("".join(rng.choice(texts[:count]) for _ in range(60)))
    return texts


def derive_variants(cache_dir):
    def load(name):
        with open(os.path.join(cache_dir, name, "tokenizer.json"), encoding="utf-8") as f:
            return json.load(f)

    def save(name, data):
        os.makedirs(os.path.join(cache_dir, name), exist_ok=True)
        with open(os.path.join(cache_dir, name, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))

    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    gpt2 = load("gpt-2")
    gpt2["pre_tokenizer"] = {"type": "Sequence",
                             "pretokenizers": [{"type": "Digits", "individual_digits": True}, byte_level]}
    save("gpt-2-digits", gpt2)

    gpt2 = load("gpt-2")
    llama_cpp_gpt2_regex = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
    gpt2["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": llama_cpp_gpt2_regex}, "behavior": "Isolated", "invert": False},
        dict(byte_level, use_regex=False)]}
    save("gpt-2-split-regex", gpt2)

    spm = load("llama-spm")
    spm["normalizer"] = None
    spm["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    spm["decoder"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    save("llama-spm-metaspace", spm)

    spm = load("llama-spm")
    spm["normalizer"] = None
    spm["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
    spm["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}, {"type": "ByteFallback"}]}
    save("llama-spm-metaspace-legacy", spm)
    return ["gpt-2-digits", "gpt-2-split-regex", "llama-spm-metaspace", "llama-spm-metaspace-legacy"]


def write_fuzz(directory, seed):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
    texts = []
    for text in generate_texts(seed, int(os.environ.get("FUZZ_TEXT_COUNT", "600"))):
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        texts.append({
            "text": text,
            "ids": ids,
            "ids_with_special_tokens": tokenizer.encode(text, add_special_tokens=True).ids,
            "decoded": tokenizer.decode(ids, skip_special_tokens=False),
            "decoded_skipping_special": tokenizer.decode(ids, skip_special_tokens=True),
        })
    rng = random.Random(seed + 1)
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    id_sequences = []
    for _ in range(200):
        ids = [rng.randrange(size) for _ in range(rng.randint(1, 24))]
        id_sequences.append({
            "ids": ids,
            "decoded": tokenizer.decode(ids, skip_special_tokens=False),
            "decoded_skipping_special": tokenizer.decode(ids, skip_special_tokens=True),
        })
    with open(os.path.join(directory, "fuzz.json"), "w", encoding="utf-8") as f:
        json.dump({"texts": texts, "id_sequences": id_sequences}, f, ensure_ascii=False)
    return len(texts), len(id_sequences)


def main(argv):
    if len(argv) != 2:
        print(f"usage: {os.path.basename(argv[0])} CACHE_DIR", file=sys.stderr)
        return 2
    cache_dir = argv[1]
    names = VOCABULARIES + derive_variants(cache_dir)
    for seed, name in enumerate(names):
        count, sequences = write_fuzz(os.path.join(cache_dir, name), 1000 + seed)
        print(f"{name}: {count} texts, {sequences} id sequences")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
