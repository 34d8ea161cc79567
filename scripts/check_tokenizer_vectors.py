#!/usr/bin/env python3
"""Check that a converted tokenizer.json reproduces llama.cpp's test vectors, with HF `tokenizers`.

Usage:
    python3 scripts/check_tokenizer_vectors.py DIR [DIR ...]

Each DIR holds tokenizer.json, vocab.inp and vocab.out (as scripts/fetch_tokenizer_vectors.sh writes them
under fixtures-cache/tokenizers/<name>/). The .inp/.out format is llama.cpp's tests/test-tokenizer-0.cpp:
inputs separated by "\\n__ggml_vocab_test__\\n", one line of space-separated ids per input, produced by
`AutoTokenizer.encode(text, add_special_tokens=False)`.

This proves the GGUF -> tokenizer.json conversion; the Swift tests then check the Swift tokenizer against
the same vectors. Needs: pip install tokenizers.
"""

import os
import sys

SEPARATOR = "\n__ggml_vocab_test__\n"


def read_vectors(directory):
    with open(os.path.join(directory, "vocab.inp"), encoding="utf-8", newline="") as f:
        raw = f.read()
    with open(os.path.join(directory, "vocab.out"), encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    inputs = []
    position = 0
    while position < len(raw):
        found = raw.find(SEPARATOR, position)
        if found < 0:
            inputs.append(raw[position:])
            break
        inputs.append(raw[position:found])
        position = found + len(SEPARATOR)
    if lines and lines[-1] == "":
        lines.pop()
    if len(inputs) != len(lines):
        raise SystemExit(f"{directory}: {len(inputs)} inputs but {len(lines)} output lines")
    return [(text, [int(x) for x in line.split()]) for text, line in zip(inputs, lines)]


def main(argv):
    from tokenizers import Tokenizer

    failed = 0
    for directory in argv[1:]:
        tokenizer = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        vectors = read_vectors(directory)
        bad = 0
        for text, expected in vectors:
            got = tokenizer.encode(text, add_special_tokens=False).ids
            if got != expected:
                bad += 1
                if bad <= 3:
                    print(f"  {directory}: {text!r}\n    expected {expected}\n    got      {got}")
        print(f"{os.path.basename(directory.rstrip('/'))}: {len(vectors) - bad}/{len(vectors)} vectors match")
        failed += bad
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
