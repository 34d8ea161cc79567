#!/usr/bin/env bash
# Release-build timing of the Tokenizer target: load time of each fetched vocabulary, encode / decode /
# streaming-decode time for ~1000 tokens. Compiles Sources/Tokenizer with scripts/tokenizer_benchmark.swift
# (swiftc -O, whole module), so it needs no Package.swift product. Run scripts/fetch_tokenizer_vectors.sh first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
swiftc -O -wmo -parse-as-library -module-name TokenizerBenchmark \
    "$ROOT"/Sources/Tokenizer/*.swift "$ROOT/scripts/tokenizer_benchmark.swift" -o "$BUILD/tokenizer-benchmark"
"$BUILD/tokenizer-benchmark" "$ROOT/fixtures-cache/tokenizers"
