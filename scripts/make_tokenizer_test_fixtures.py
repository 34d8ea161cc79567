#!/usr/bin/env python3
"""Write the small hand-made tokenizer.json files of Tests/TokenizerTests/Fixtures/ and print HF's ids for
the inputs the Swift tests use, so the expected values in those tests come from HF tokenizers.

Usage:
    python3 scripts/make_tokenizer_test_fixtures.py [--write]

The fixture is a byte-level BPE over the 256 byte characters with a handful of merges, a Lowercase
normalizer (so that a normalized added token can match text that differs before normalization), and one
added token per added-token option: special, lstrip + rstrip, single_word, normalized. It exists twice,
once with merges as "a b" strings and once as ["a", "b"] pairs. Needs: pip install tokenizers.
"""

import json
import os
import sys

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "Tests", "TokenizerTests", "Fixtures")

INPUTS = [
    "hello world",
    "Hello World",
    "<bos>hello",
    "say <mask>  world",
    "a<mask>b",
    "x [WORD] y",
    "x[WORD]y",
    "[WORD]",
    "HELLO there",
    "say hello!",
    "<|special|><|special|>",
    "héllo 🦙",
]


def byte_chars():
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table = {b: chr(b) for b in printable}
    n = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + n)
            n += 1
    return [table[b] for b in range(256)]


def fixture(merges_as_strings):
    vocab = {c: i for i, c in enumerate(byte_chars())}
    merges = [("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"), ("h", "e"), ("l", "l"),
              ("he", "ll"), ("hell", "o"), ("Ġ", "hello")]
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    added = [
        ("<bos>", dict(special=True, normalized=False)),
        ("<|special|>", dict(special=True, normalized=False)),
        ("<mask>", dict(special=True, normalized=False, lstrip=True, rstrip=True)),
        ("[WORD]", dict(special=False, normalized=False, single_word=True)),
        ("hello", dict(special=False, normalized=True)),
    ]
    added_tokens = []
    for content, options in added:
        token_id = vocab.get(content, None)
        if token_id is None:
            token_id = len(vocab) + len(added_tokens)
        added_tokens.append({"id": token_id, "content": content, "single_word": options.get("single_word", False),
                             "lstrip": options.get("lstrip", False), "rstrip": options.get("rstrip", False),
                             "normalized": options["normalized"], "special": options["special"]})
    bos_id = added_tokens[0]["id"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<bos>": {"id": "<bos>", "ids": [bos_id], "tokens": ["<bos>"]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges] if merges_as_strings else [[a, b] for a, b in merges],
        },
    }


def main(argv):
    from tokenizers import Tokenizer

    files = {"bytelevel-merge-strings.json": fixture(True), "bytelevel-merge-pairs.json": fixture(False)}
    if "--write" in argv:
        for name, data in files.items():
            with open(os.path.join(FIXTURES, name), "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=1)
                f.write("\n")
    for name, data in files.items():
        tokenizer = Tokenizer.from_str(json.dumps(data))
        print(name)
        for text in INPUTS:
            encoding = tokenizer.encode(text, add_special_tokens=True)
            ids = tokenizer.encode(text, add_special_tokens=False).ids
            print(f"  {text!r}: {ids} with special {encoding.ids} decode {tokenizer.decode(ids, skip_special_tokens=False)!r}"
                  f" skip {tokenizer.decode(ids, skip_special_tokens=True)!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
