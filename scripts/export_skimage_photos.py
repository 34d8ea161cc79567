#!/usr/bin/env python3
"""Exports every photo bundled with scikit-image (skimage.data, the ones that load without a
download) as JPEG into a folder, for `vlm calibrate --images` and for measuring DyMU's token
counts on real photos.

Usage: python3 scripts/export_skimage_photos.py [OUT_DIR]   (default fixtures-cache/photos)
Needs scikit-image and Pillow (pip install scikit-image pillow).
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image
import skimage.data as data

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["astronaut", "brick", "camera", "cat", "chelsea", "clock", "coffee", "coins", "colorwheel", "grass",
         "gravel", "horse", "hubble_deep_field", "immunohistochemistry", "logo", "microaneurysms", "moon",
         "page", "retina", "rocket", "text", "eagle", "lily", "skin", "motorcycle"]


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fixtures-cache/photos"
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name in NAMES:
        try:
            image = getattr(data, name)()
        except Exception as error:  # not bundled (needs a download) or not an image
            print(f"skip {name}: {type(error).__name__}")
            continue
        if isinstance(image, tuple):
            image = image[0]
        image = np.asarray(image)
        if image.dtype != np.uint8:
            image = (255 * (image.astype(np.float64) / max(image.max(), 1))).astype(np.uint8)
        Image.fromarray(image).convert("RGB").save(out / f"{name}.jpg", quality=92)
        written += 1
    print(f"wrote {written} photos to {out}")


if __name__ == "__main__":
    main()
