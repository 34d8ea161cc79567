#!/usr/bin/env bash
# Release-build timing of the ImageProcessing target: JPEG decoding and CLIP / SigLIP / padded-CLIP
# preprocessing of one image, median and best of 21 runs per stage. Compiles Sources/ImageProcessing with
# scripts/image_benchmark.swift (swiftc -O, whole module), so it needs no Package.swift product.
#
#     python3 scripts/make_image_refs.py --bench-image /tmp/bench_1024x768.jpg   # or any JPEG
#     scripts/benchmark_images.sh /tmp/bench_1024x768.jpg
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 IMAGE.jpg" >&2; exit 2; fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
# The C libraries come in through the same module maps SwiftPM uses (libpng, libjpeg).
swiftc -O -wmo -parse-as-library -module-name ImageBenchmark \
    -I "$ROOT/Sources/CPNG" -I "$ROOT/Sources/CJPEG" \
    "$ROOT"/Sources/ImageProcessing/*.swift "$ROOT/scripts/image_benchmark.swift" -o "$BUILD/image-benchmark"
"$BUILD/image-benchmark" "$1" "$ROOT/Tests/ImageProcessingTests/Fixtures/configs"
