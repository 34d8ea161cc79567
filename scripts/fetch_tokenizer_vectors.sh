#!/usr/bin/env bash
# Fetch real tokenizer test vectors for the Tokenizer tests.
#
# Writes fixtures-cache/tokenizers/<name>/{tokenizer.json,tokenizer_config.json,vocab.inp,vocab.out}
# for qwen2, gpt-2, phi-3, llama-bpe and llama-spm. Source: the vocab-only GGUF files and the test vectors
# of llama.cpp (vendor/llama.cpp/models/ggml-vocab-<name>.gguf{,.inp,.out}) inside the llama-cpp-python
# source distribution on PyPI; scripts/gguf_tokenizer.py turns each GGUF tokenizer into tokenizer.json.
# The .out ids were made by transformers' AutoTokenizer(...).encode(text, add_special_tokens=False).
#
# It also writes <name>/fuzz.json (scripts/make_tokenizer_fuzz_vectors.py): generated inputs and random id
# sequences with HF tokenizers' ids and texts, for these and three derived pre-tokenizer variants.
#
# Idempotent: does nothing when the files are there for the pinned version. Needs python3 with pip;
# installs gguf, numpy and tokenizers.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="0.3.36"
NAMES=(qwen2 gpt-2 phi-3 llama-bpe llama-spm)
VARIANTS=(gpt-2-digits gpt-2-split-regex llama-spm-metaspace llama-spm-metaspace-legacy)  # made by make_tokenizer_fuzz_vectors.py
FORMAT=3  # bump when the files written here change

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/fixtures-cache/tokenizers"
STAMP="$OUT/.complete-v$FORMAT-llama-cpp-python-$LLAMA_CPP_PYTHON_VERSION"

complete() {
    [ -f "$STAMP" ] || return 1
    for name in "${NAMES[@]}"; do
        for file in tokenizer.json tokenizer_config.json vocab.inp vocab.out fuzz.json; do
            [ -s "$OUT/$name/$file" ] || return 1
        done
    done
    for name in "${VARIANTS[@]}"; do
        for file in tokenizer.json fuzz.json; do
            [ -s "$OUT/$name/$file" ] || return 1
        done
    done
}

if complete; then
    echo "tokenizer vectors already in $OUT"
    exit 0
fi

PYTHON="${PYTHON:-python3}"
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
"$PYTHON" -m pip install -q gguf numpy tokenizers

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# --no-binary for this one package only: the vectors live in the sdist (a wheel would not carry them).
"$PYTHON" -m pip download -q --no-deps --no-binary llama-cpp-python \
    "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$WORK"
SDIST="$WORK/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz"
MODELS="llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp/models"

members=()
for name in "${NAMES[@]}"; do
    members+=("$MODELS/ggml-vocab-$name.gguf" "$MODELS/ggml-vocab-$name.gguf.inp" "$MODELS/ggml-vocab-$name.gguf.out")
done
tar -xzf "$SDIST" -C "$WORK" "${members[@]}"

for name in "${NAMES[@]}"; do
    dir="$OUT/$name"
    mkdir -p "$dir"
    "$PYTHON" "$ROOT/scripts/gguf_tokenizer.py" "$WORK/$MODELS/ggml-vocab-$name.gguf" "$dir" > /dev/null
    cp "$WORK/$MODELS/ggml-vocab-$name.gguf.inp" "$dir/vocab.inp"
    cp "$WORK/$MODELS/ggml-vocab-$name.gguf.out" "$dir/vocab.out"
done

# The converted tokenizer.json files must reproduce llama.cpp's vectors in HF tokenizers itself.
dirs=()
for name in "${NAMES[@]}"; do dirs+=("$OUT/$name"); done
"$PYTHON" "$ROOT/scripts/check_tokenizer_vectors.py" "${dirs[@]}"
"$PYTHON" "$ROOT/scripts/make_tokenizer_fuzz_vectors.py" "$OUT"

touch "$STAMP"
echo "tokenizer vectors written to $OUT"
