#!/usr/bin/env bash
# Runs the test suite. Needs scripts/setup.sh first (the real SmolLM2 and the demo checkpoint);
# fetches the tokenizer test vectors itself. Tests run in release mode: the numerical tests push
# real models (a CLIP ViT-L/14-336 tower, SmolLM2) through the engine; -enable-testing lets
# tests that need internals use @testable imports in a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch_tokenizer_vectors.sh
# The test binary does not relaunch itself as `vlm` does: pick OpenBLAS's AVX-512 kernels here
# (Debian's OpenBLAS falls back to AVX2 on CPUs it does not know, and some environments pin it).
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
# Build everything (the `vlm` tool too: the CLI tests run it) with the flags the tests use.
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build "$@"
