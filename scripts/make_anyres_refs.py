#!/usr/bin/env python3
"""Make the AnyRes fixtures: LLaVA-NeXT "anyres" crops as the original LLaVA code computes them.

The functions below are copied verbatim from the authors' llava/mm_utils.py (each block names its
repository and commit) and run with Pillow and transformers' PIL-backend CLIPImageProcessor set up
as openai/clip-vit-large-patch14-336 (the vision tower of ProxyV's released Vicuna-7B checkpoint,
which has image_aspect_ratio "anyres" and image_grid_pinpoints
[[336,672],[672,336],[672,672],[1008,336],[336,1008]]).

Images are opened as those repositories' demos open them, Image.open(f).convert("RGB") (no EXIF
transpose). Inputs: photos from Tests/EngineTests/Fixtures/photos and
Tests/ImageProcessingTests/Fixtures/images (copied into anyres/images/ so the ImageProcessing tests
can read them), plus a wide and a tall panorama made here from two of those photos, large enough
that [1008, 336] and [336, 1008] win.

Writes Tests/ImageProcessingTests/Fixtures/anyres/:
  images/        the inputs
  configs/       the processors' preprocessor_config.json
  pixels/        full pixel_values of the small-processor cases, float32 .npy [crops, 3, H, W]
  anyres.json    configs, every case (chosen resolution, grid shape, per crop: CRC-32 of the 8-bit
                 crop, SHA-256 of the float32 CHW pixel values, sum / sum of squares / min / max and
                 sampled values), select_best_resolution and resize_and_pad_image on many sizes,
                 the ProxyV grid-pinpoint string parsing, and PIL.Image.resize where Pillow 13's
                 pass order (vertical first for tall shrinks) matters.

Pillow 13 changed the pass order of Image.resize (vertical first when the height shrinks by more
than twice as many pixels as the width), which moves some pixels of such resizes by one level
against Pillow <= 12; the fixtures are made with the installed Pillow (13). --check under
ProxyV's pinned transformers 4.41.2 with Pillow 10.3 matches everything except those resizes.

Usage: python3 scripts/make_anyres_refs.py [--check]
  --check recomputes everything and compares with the committed anyres.json instead of writing
  (used to confirm that transformers 4.41.2 + Pillow 10, ProxyV's pinned versions, agree).

Needs: pillow, numpy, torch (return_tensors="pt" as in the original), transformers (5.x:
CLIPImageProcessorPil; 4.x: the slow CLIPImageProcessor, which is the PIL one).
"""

import argparse
import ast
import hashlib
import json
import math
import re
import shutil
import sys
import zlib
from pathlib import Path

import numpy as np
import PIL
import torch
import transformers
from PIL import Image

try:  # transformers 5: the PIL backend has its own class (CLIPImageProcessor may be torchvision's).
    from transformers import CLIPImageProcessorPil as ClipPil
except ImportError:  # transformers 4: the slow CLIPImageProcessor is the PIL one.
    from transformers import CLIPImageProcessor as ClipPil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "ImageProcessingTests" / "Fixtures" / "anyres"
PHOTOS = ROOT / "Tests" / "EngineTests" / "Fixtures" / "photos"
IMAGES = ROOT / "Tests" / "ImageProcessingTests" / "Fixtures" / "images"

rng = np.random.default_rng(20240607)

# =============================================================================================
# penghao-wu/ProxyV, llava/mm_utils.py, commit 9b994252da8dfb3ce7855bb540e0d6cbd1950c30 (main),
# verbatim. LLaVA-VL/LLaVA-NeXT llava/mm_utils.py at 4b2fe57a225dea46caf41f0239d2ff34c7917415 has
# the same five functions except that ProxyV's process_anyres_image has one extra comment line
# (`# print(best_resolution, image.size)`) and ProxyV's process_images has an extra "resize" branch.
# =============================================================================================


def select_best_resolution(original_size, possible_resolutions):
    """
    Selects the best resolution from a list of possible resolutions based on the original size.

    Args:
        original_size (tuple): The original size of the image in the format (width, height).
        possible_resolutions (list): A list of possible resolutions in the format [(width1, height1), (width2, height2), ...].

    Returns:
        tuple: The best fit resolution in the format (width, height).
    """
    original_width, original_height = original_size
    best_fit = None
    max_effective_resolution = 0
    min_wasted_resolution = float("inf")

    for width, height in possible_resolutions:
        # Calculate the downscaled size to keep the aspect ratio
        scale = min(width / original_width, height / original_height)
        downscaled_width, downscaled_height = int(original_width * scale), int(original_height * scale)

        # Calculate effective and wasted resolutions
        effective_resolution = min(downscaled_width * downscaled_height, original_width * original_height)
        wasted_resolution = (width * height) - effective_resolution

        if effective_resolution > max_effective_resolution or (effective_resolution == max_effective_resolution and wasted_resolution < min_wasted_resolution):
            max_effective_resolution = effective_resolution
            min_wasted_resolution = wasted_resolution
            best_fit = (width, height)

    return best_fit


def resize_and_pad_image(image, target_resolution):
    """
    Resize and pad an image to a target resolution while maintaining aspect ratio.

    Args:
        image (PIL.Image.Image): The input image.
        target_resolution (tuple): The target resolution (width, height) of the image.

    Returns:
        PIL.Image.Image: The resized and padded image.
    """
    original_width, original_height = image.size
    target_width, target_height = target_resolution

    # Determine which dimension (width or height) to fill
    scale_w = target_width / original_width
    scale_h = target_height / original_height

    if scale_w < scale_h:
        # Width will be filled completely
        new_width = target_width
        new_height = min(math.ceil(original_height * scale_w), target_height)
    else:
        # Height will be filled completely
        new_height = target_height
        new_width = min(math.ceil(original_width * scale_h), target_width)

    # Resize the image
    resized_image = image.resize((new_width, new_height))

    # Create a new image with the target size and paste the resized image onto it
    new_image = Image.new("RGB", (target_width, target_height), (0, 0, 0))
    paste_x = (target_width - new_width) // 2
    paste_y = (target_height - new_height) // 2
    new_image.paste(resized_image, (paste_x, paste_y))

    return new_image


def divide_to_patches(image, patch_size):
    """
    Divides an image into patches of a specified size.

    Args:
        image (PIL.Image.Image): The input image.
        patch_size (int): The size of each patch.

    Returns:
        list: A list of PIL.Image.Image objects representing the patches.
    """
    patches = []
    width, height = image.size
    for i in range(0, height, patch_size):
        for j in range(0, width, patch_size):
            box = (j, i, j + patch_size, i + patch_size)
            patch = image.crop(box)
            patches.append(patch)

    return patches


def get_anyres_image_grid_shape(image_size, grid_pinpoints, patch_size):
    """
    Calculate the shape of the image patch grid after the preprocessing for images of any resolution.

    Args:
        image_size (tuple): The size of the input image in the format (width, height).
        grid_pinpoints (str): A string representation of a list of possible resolutions.
        patch_size (int): The size of each image patch.

    Returns:
        tuple: The shape of the image patch grid in the format (width, height).
    """
    if isinstance(grid_pinpoints, str) and "x" in grid_pinpoints:
        assert patch_size in [224, 336, 384, 448, 512], "patch_size should be in [224, 336, 384, 448, 512]"
        # Use regex to extract the range from the input string
        matches = re.findall(r"\((\d+)x(\d+)\)", grid_pinpoints)
        range_start = tuple(map(int, matches[0]))
        range_end = tuple(map(int, matches[-1]))
        # Generate a matrix of tuples from (range_start[0], range_start[1]) to (range_end[0], range_end[1])
        grid_pinpoints = [(i, j) for i in range(range_start[0], range_end[0] + 1) for j in range(range_start[1], range_end[1] + 1)]
        # Multiply all elements by patch_size
        grid_pinpoints = [[dim * patch_size for dim in pair] for pair in grid_pinpoints]
    if type(grid_pinpoints) is list:
        possible_resolutions = grid_pinpoints
    else:
        possible_resolutions = ast.literal_eval(grid_pinpoints)
    width, height = select_best_resolution(image_size, possible_resolutions)
    return width // patch_size, height // patch_size


def process_anyres_image(image, processor, grid_pinpoints):
    """
    Process an image with variable resolutions.

    Args:
        image (PIL.Image.Image): The input image to be processed.
        processor: The image processor object.
        grid_pinpoints (str): A string representation of a list of possible resolutions.

    Returns:
        torch.Tensor: A tensor containing the processed image patches.
    """
    # Convert grid_pinpoints from string to list
    if isinstance(grid_pinpoints, str) and "x" in grid_pinpoints:
        try:
            patch_size = processor.size[0]
        except Exception as e:
            patch_size = processor.size["shortest_edge"]
        assert patch_size in [224, 336, 384, 448, 512], "patch_size should be in [224, 336, 384, 448, 512]"
        # Use regex to extract the range from the input string
        matches = re.findall(r"\((\d+)x(\d+)\)", grid_pinpoints)
        range_start = tuple(map(int, matches[0]))
        range_end = tuple(map(int, matches[-1]))
        # Generate a matrix of tuples from (range_start[0], range_start[1]) to (range_end[0], range_end[1])
        grid_pinpoints = [(i, j) for i in range(range_start[0], range_end[0] + 1) for j in range(range_start[1], range_end[1] + 1)]
        # Multiply all elements by patch_size
        grid_pinpoints = [[dim * patch_size for dim in pair] for pair in grid_pinpoints]

    if type(grid_pinpoints) is list:
        possible_resolutions = grid_pinpoints
    else:
        possible_resolutions = ast.literal_eval(grid_pinpoints)
    best_resolution = select_best_resolution(image.size, possible_resolutions)
    # print(best_resolution, image.size)
    image_padded = resize_and_pad_image(image, best_resolution)

    patches = divide_to_patches(image_padded, processor.crop_size["height"])

    # FIXME: this seems to be a bug that it resizes instead of pad.
    # but to keep it consistent with previous, i will keep it as it is
    # TODO: uncomment below to ablate with the padding
    if isinstance(processor.size, dict):
        shortest_edge = processor.size["shortest_edge"]
    else:
        shortest_edge = min(processor.size)
    image_original_resize = image.resize((shortest_edge, shortest_edge))
    # image_padded_square = expand2square(image, tuple(int(x*255) for x in processor.image_mean))
    # image_original_resize = image_padded_square.resize((processor.size['shortest_edge'], processor.size['shortest_edge']))

    image_patches = [image_original_resize] + patches
    image_patches = [processor.preprocess(image_patch, return_tensors="pt")["pixel_values"][0] for image_patch in image_patches]
    return torch.stack(image_patches, dim=0)


def expand2square(pil_img, background_color):
    width, height = pil_img.size
    if width == height:
        return pil_img
    elif width > height:
        result = Image.new(pil_img.mode, (width, width), background_color)
        result.paste(pil_img, (0, (width - height) // 2))
        return result
    else:
        result = Image.new(pil_img.mode, (height, height), background_color)
        result.paste(pil_img, ((height - width) // 2, 0))
        return result


def process_images(images, image_processor, model_cfg):
    image_aspect_ratio = getattr(model_cfg, "image_aspect_ratio", None)
    new_images = []
    if image_aspect_ratio == "highres":
        for image in images:
            image = process_highres_image(image, image_processor, model_cfg.image_grid_pinpoints)  # noqa: F821 - not copied
            new_images.append(image)
    elif image_aspect_ratio == "anyres" or "anyres_max" in image_aspect_ratio:
        for image in images:
            image = process_anyres_image(image, image_processor, model_cfg.image_grid_pinpoints)
            new_images.append(image)
    elif image_aspect_ratio == "crop_split":
        for image in images:
            image = process_highres_image_crop_split(image, model_cfg, image_processor)  # noqa: F821 - not copied
            new_images.append(image)
    elif image_aspect_ratio == "pad":
        for image in images:
            image = expand2square(image, tuple(int(x * 255) for x in image_processor.image_mean))
            image = image_processor.preprocess(image, return_tensors="pt")["pixel_values"][0]
            new_images.append(image)
    elif image_aspect_ratio == "resize":
        for image in images:
            image = image.resize((image_processor.size['shortest_edge'], image_processor.size['shortest_edge']))
            image = image_processor.preprocess(image, return_tensors="pt")["pixel_values"][0]
            new_images.append(image)
    else:
        return image_processor.preprocess(images, return_tensors="pt")["pixel_values"]
    if all(x.shape == new_images[0].shape for x in new_images):
        new_images = torch.stack(new_images, dim=0)
    return new_images


# =============================================================================================
# haotian-liu/LLaVA, llava/mm_utils.py, commit ff09d1917ff4205d81f00dc6a03b9e7f6bc63f02 (main),
# verbatim (the two functions that differ from ProxyV's; select_best_resolution,
# resize_and_pad_image, divide_to_patches and expand2square are the same code there, only quotes and
# comments differ). Renamed with a _llava suffix.
# =============================================================================================


def process_anyres_image_llava(image, processor, grid_pinpoints):
    """
    Process an image with variable resolutions.

    Args:
        image (PIL.Image.Image): The input image to be processed.
        processor: The image processor object.
        grid_pinpoints (str): A string representation of a list of possible resolutions.

    Returns:
        torch.Tensor: A tensor containing the processed image patches.
    """
    if type(grid_pinpoints) is list:
        possible_resolutions = grid_pinpoints
    else:
        possible_resolutions = ast.literal_eval(grid_pinpoints)
    best_resolution = select_best_resolution(image.size, possible_resolutions)
    image_padded = resize_and_pad_image(image, best_resolution)

    patches = divide_to_patches(image_padded, processor.crop_size['height'])

    image_original_resize = image.resize((processor.size['shortest_edge'], processor.size['shortest_edge']))

    image_patches = [image_original_resize] + patches
    image_patches = [processor.preprocess(image_patch, return_tensors='pt')['pixel_values'][0]
                     for image_patch in image_patches]
    return torch.stack(image_patches, dim=0)


def process_images_llava(images, image_processor, model_cfg):
    image_aspect_ratio = getattr(model_cfg, "image_aspect_ratio", None)
    new_images = []
    if image_aspect_ratio == 'pad':
        for image in images:
            image = expand2square(image, tuple(int(x*255) for x in image_processor.image_mean))
            image = image_processor.preprocess(image, return_tensors='pt')['pixel_values'][0]
            new_images.append(image)
    elif image_aspect_ratio == "anyres":
        for image in images:
            image = process_anyres_image_llava(image, image_processor, model_cfg.image_grid_pinpoints)
            new_images.append(image)
    else:
        return image_processor(images, return_tensors='pt')['pixel_values']
    if all(x.shape == new_images[0].shape for x in new_images):
        new_images = torch.stack(new_images, dim=0)
    return new_images


# =============================================================================================
# Processor and model config
# =============================================================================================

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

CONFIGS = {
    # openai/clip-vit-large-patch14-336 preprocessor_config.json as published.
    "clip_vit_l_336": {
        "crop_size": 336, "do_center_crop": True, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
        "resample": 3, "size": 336},
    # The same processor at 16 px, so that whole pixel arrays fit in the fixtures.
    "clip_16": {"crop_size": 16, "image_mean": CLIP_MEAN, "image_std": CLIP_STD, "resample": 3, "size": 16},
    # shortest_edge != crop: the base image is resized to 20x20 and cropped, each 16-px crop is
    # upscaled to 20 and cropped again.
    "clip_20_crop_16": {"crop_size": 16, "image_mean": CLIP_MEAN, "image_std": CLIP_STD, "resample": 3, "size": 20},
}

PROXYV_PINPOINTS = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
SMALL_PINPOINTS = [[16, 32], [32, 16], [32, 32], [48, 16], [16, 48]]
# Not multiples of the patch size: the last row / column of crops reaches past the padded image,
# where PIL's crop gives black.
ODD_PINPOINTS = [[24, 40], [40, 24], [56, 56]]


class DictSizes:
    """The processor with `size` / `crop_size` as plain dicts, as transformers 4 (ProxyV pins 4.41.2)
    has them. transformers 5 gives a SizeDict, which is not a dict: ProxyV's
    `isinstance(processor.size, dict)` is then False and `min(processor.size)` is the tuple
    ('shortest_edge', 336), which PIL's resize rejects. Everything else is the real processor."""

    def __init__(self, processor):
        self.processor = processor
        self.size = {k: v for k, v in vars(processor.size).items() if v is not None}
        self.crop_size = {k: v for k, v in vars(processor.crop_size).items() if v is not None}
        self.image_mean = processor.image_mean

    def preprocess(self, *args, **kwargs):
        return self.processor.preprocess(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        return self.processor(*args, **kwargs)


def make_processor(name):
    p = ClipPil(**CONFIGS[name])
    assert "Pil" in type(p).__name__ or transformers.__version__.startswith("4."), type(p)
    return p if isinstance(p.size, dict) else DictSizes(p)


class ModelConfig:
    def __init__(self, image_aspect_ratio, image_grid_pinpoints=None):
        self.image_aspect_ratio = image_aspect_ratio
        self.image_grid_pinpoints = image_grid_pinpoints


# =============================================================================================
# Expected values
# =============================================================================================


def crc(im: Image.Image) -> int:
    return zlib.crc32(np.asarray(im.convert("RGB"), dtype=np.uint8).tobytes()) & 0xFFFFFFFF


def f32(x):  # 9 significant digits give the float32 back exactly
    return float(f"{float(x):.9g}")


def stats(values: np.ndarray, samples=24):
    values = np.ascontiguousarray(values, dtype=np.float32)
    flat = values.reshape(-1)
    idx = np.sort(rng.choice(flat.size, size=min(samples, flat.size), replace=False))
    return {"sha256": hashlib.sha256(values.tobytes()).hexdigest(),
            "sum": float(flat.astype(np.float64).sum()), "sum_squares": float((flat.astype(np.float64) ** 2).sum()),
            "min": f32(flat.min()), "max": f32(flat.max()),
            "samples": [[int(i), f32(flat[i])] for i in idx]}


def open_rgb(path: Path) -> Image.Image:
    return Image.open(path).convert("RGB")


def make_panoramas():
    """A wide and a tall input, large enough for [1008, 336] / [336, 1008]: chelsea (451x300) and
    coffee (600x400 resized to 450x300) side by side, and that rotated by 90 degrees."""
    chelsea = open_rgb(PHOTOS / "chelsea_451x300.jpg")
    coffee = open_rgb(IMAGES / "coffee_progressive.jpg").resize((450, 300), Image.Resampling.LANCZOS)
    wide = Image.new("RGB", (901, 300))
    wide.paste(chelsea, (0, 0))
    wide.paste(coffee, (451, 0))
    wide.save(OUT / "images" / "wide_901x300.jpg", quality=85)
    wide.transpose(Image.Transpose.ROTATE_90).save(OUT / "images" / "tall_300x901.jpg", quality=85)


# (file in anyres/images, where it came from)
INPUTS = {
    "chelsea_451x300.jpg": PHOTOS, "astronaut_200x200.png": PHOTOS, "coffee_120x80.jpg": PHOTOS,
    "rocket_64x96.jpg": PHOTOS, "camera_96x72_gray.png": PHOTOS, "logo_80x80_rgba.png": PHOTOS,
    "coffee_progressive.jpg": IMAGES, "rocket_cmyk.jpg": IMAGES, "text_1bit.png": IMAGES,
    "chelsea_444_odd.jpg": IMAGES, "coffee_422_odd.jpg": IMAGES, "rocket_restart.jpg": IMAGES,
    "chelsea_palette_trns.png": IMAGES, "wide_901x300.jpg": None, "tall_300x901.jpg": None,
}


def anyres_case(name, image_file, config, pinpoints, full_pixels=False, aspect="anyres", write=True):
    """process_images with the model config's image_aspect_ratio, and the 8-bit crops behind it."""
    proc = make_processor(config)
    image = open_rgb(OUT / "images" / image_file)
    cfg = ModelConfig(aspect, pinpoints)
    out = process_images([image], proc, cfg)
    assert isinstance(out, torch.Tensor), type(out)
    out = out[0].numpy() if aspect in ("anyres",) or "anyres_max" in aspect else out.numpy()
    if out.ndim == 3:
        out = out[None]
    entry = {"name": name, "image": f"images/{image_file}", "config": f"configs/{config}.json", "image_aspect_ratio": aspect,
             "width": image.width, "height": image.height, "image_crc32": crc(image)}
    if aspect == "anyres" or "anyres_max" in aspect:
        entry["grid_pinpoints"] = pinpoints
        # The same steps one by one, to record the 8-bit images the processor was given.
        best = select_best_resolution(image.size, pinpoints)
        padded = resize_and_pad_image(image, best)
        patches = divide_to_patches(padded, proc.crop_size["height"])
        base = image.resize((proc.size["shortest_edge"], proc.size["shortest_edge"]))
        again = np.stack([proc.preprocess(p, return_tensors="pt")["pixel_values"][0].numpy() for p in [base] + patches])
        assert np.array_equal(again, out), name
        # Original LLaVA's process_images gives the same tensor for "anyres"; it does not know
        # "anyres_max_N" and gives the plain processor's output for it.
        llava = process_images_llava([image], proc, cfg)[0].numpy()
        if aspect == "anyres":
            assert np.array_equal(llava, out), f"{name}: original LLaVA and ProxyV differ"
        else:
            assert llava.shape == (3, proc.crop_size["height"], proc.crop_size["width"]), llava.shape
        entry.update(best_resolution=list(best), grid_shape=list(get_anyres_image_grid_shape(image.size, pinpoints, proc.crop_size["height"])),
                     padded_crc32=crc(padded), inputs_crc32=[crc(p) for p in [base] + patches])
    elif aspect == "pad":
        llava = process_images_llava([image], proc, cfg)[0].numpy()
        assert np.array_equal(llava, out[0]), f"{name}: original LLaVA and ProxyV differ"
        entry["inputs_crc32"] = [crc(expand2square(image, tuple(int(x * 255) for x in proc.image_mean)))]
    elif aspect == "resize":
        entry["inputs_crc32"] = [crc(image.resize((proc.size["shortest_edge"],) * 2))]
    entry["crops"] = [stats(c) for c in out]
    entry["shape"] = list(out.shape)
    if full_pixels:
        entry["pixels"] = f"pixels/{name}.npy"
        if write:
            np.save(OUT / entry["pixels"], out.astype(np.float32))
        elif not np.array_equal(np.load(OUT / entry["pixels"]), out):
            entry["pixels_differ"] = True  # --check counts the case as different
    return entry


def best_resolution_cases():
    """select_best_resolution on many sizes: random, exact fits, ties, and sizes so thin that every
    candidate's effective resolution is 0 (the original returns None)."""
    sizes = [(int(w), int(h)) for w, h in zip(rng.integers(1, 2500, 150), rng.integers(1, 2500, 150))]
    sizes += [(int(w), int(h)) for w, h in zip(rng.integers(1, 120, 40), rng.integers(1, 120, 40))]
    sizes += [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008), (336, 336), (1, 1), (2000, 1), (1, 2000),
              (5000, 3), (3, 5000), (1000, 1000), (1344, 672), (100, 300), (300, 100), (335, 1007), (337, 1009)]
    out = []
    for pins in [PROXYV_PINPOINTS, SMALL_PINPOINTS, ODD_PINPOINTS,
                 [[336, 336], [336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008], [1008, 1008]],
                 [[384, 768], [768, 384], [768, 768], [1152, 384], [384, 1152]]]:
        rows = []
        for w, h in sizes:
            best = select_best_resolution((w, h), pins)
            rows.append([w, h] + (list(best) if best else [None, None]))
        out.append({"pinpoints": pins, "cases (width, height, best width, best height)": rows})
    return out


def resize_and_pad_cases():
    """Where resize_and_pad_image puts the image: on a white input the bicubic result stays 255, so the
    pasted box is the non-black area of the output (getbbox)."""
    targets = PROXYV_PINPOINTS + ODD_PINPOINTS + [[16, 32], [48, 16], [1000, 7]]
    sizes = [(int(w), int(h)) for w, h in zip(rng.integers(1, 1500, 60), rng.integers(1, 1500, 60))]
    sizes += [(451, 300), (300, 451), (1, 1), (3, 1000), (1000, 3), (336, 336), (7, 3), (999, 333), (333, 999)]
    out = []
    for tw, th in targets:
        rows = []
        for w, h in sizes:
            padded = resize_and_pad_image(Image.new("RGB", (w, h), (255, 255, 255)), (tw, th))
            x0, y0, x1, y1 = padded.getbbox()
            rows.append([w, h, x0, y0, x1 - x0, y1 - y0])
        out.append({"target": [tw, th], "cases (width, height, paste x, paste y, new width, new height)": rows})
    return out


def resample_cases():
    """PIL.Image.resize on sizes where Pillow 13 runs the vertical pass first (the height shrinks by
    more than twice as many pixels as the width) and on the borders of that rule, every filter."""
    out = []
    sizes = {"tall_300x901.jpg": [(16, 48), (19, 56), (16, 16), (112, 336), (5, 16), (200, 701), (200, 700),
                                  (400, 500), (100, 901), (300, 200), (299, 1)],
             "wide_901x300.jpg": [(48, 16), (890, 16), (1000, 100), (901, 10)],
             "rocket_64x96.jpg": [(60, 20), (3, 90), (64, 31)]}
    for image, targets in sizes.items():
        src = open_rgb(OUT / "images" / image)
        for f in [1, 2, 3, 4, 5]:
            for w, h in targets:
                out.append([f"images/{image}", f, w, h, crc(src.resize((w, h), Image.Resampling(f)))])
    return out


def pinpoint_string_cases():
    """ProxyV's (= LLaVA-NeXT's) parsing of string grid pinpoints, from get_anyres_image_grid_shape."""
    out = []
    for text in ["(1x1),(1x2),(2x1),(2x2)", "(1x1),...,(6x6)", "(1x1),...,(3x3)", "(2x1),(1x3)", "(1x2)",
                 "[(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)]"]:
        for patch in [336, 384]:
            pins = text
            if isinstance(pins, str) and "x" in pins:
                matches = re.findall(r"\((\d+)x(\d+)\)", pins)
                range_start = tuple(map(int, matches[0]))
                range_end = tuple(map(int, matches[-1]))
                pins = [(i, j) for i in range(range_start[0], range_end[0] + 1) for j in range(range_start[1], range_end[1] + 1)]
                pins = [[dim * patch for dim in pair] for pair in pins]
            if type(pins) is not list:
                pins = [list(p) for p in ast.literal_eval(pins)]
            try:
                shape = list(get_anyres_image_grid_shape((901, 300), text, patch))
            except TypeError:  # no candidates: select_best_resolution returned None
                shape = None
            out.append({"text": text, "patch_size": patch, "pinpoints": pins, "grid_shape_901x300": shape})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed anyres.json instead of writing")
    args = ap.parse_args()
    write = not args.check

    if write:
        shutil.rmtree(OUT, ignore_errors=True)
        (OUT / "images").mkdir(parents=True)
        (OUT / "pixels").mkdir()
        for name, src in INPUTS.items():
            if src is not None:
                shutil.copyfile(src / name, OUT / "images" / name)
        make_panoramas()
        (OUT / "configs").mkdir()
        for name, cfg in CONFIGS.items():
            (OUT / "configs" / f"{name}.json").write_text(json.dumps(cfg, indent=2) + "\n")

    cases = []
    big = ["chelsea_451x300.jpg", "astronaut_200x200.png", "coffee_120x80.jpg", "rocket_64x96.jpg",
           "camera_96x72_gray.png", "logo_80x80_rgba.png", "coffee_progressive.jpg", "rocket_cmyk.jpg",
           "text_1bit.png", "wide_901x300.jpg", "tall_300x901.jpg"]
    for image in big:
        cases.append(anyres_case(f"clip336__{Path(image).stem}", image, "clip_vit_l_336", PROXYV_PINPOINTS, write=write))
    cases.append(anyres_case("clip336__coffee_progressive__anyres_max_9", "coffee_progressive.jpg", "clip_vit_l_336",
                             PROXYV_PINPOINTS, aspect="anyres_max_9", write=write))
    for image in ["chelsea_451x300.jpg", "rocket_cmyk.jpg"]:
        cases.append(anyres_case(f"clip336__{Path(image).stem}__pad", image, "clip_vit_l_336", None, aspect="pad", write=write))
        cases.append(anyres_case(f"clip336__{Path(image).stem}__resize", image, "clip_vit_l_336", None, aspect="resize", write=write))
    small = ["chelsea_444_odd.jpg", "coffee_422_odd.jpg", "rocket_restart.jpg", "chelsea_palette_trns.png",
             "rocket_64x96.jpg", "wide_901x300.jpg", "tall_300x901.jpg", "camera_96x72_gray.png"]
    for image in small:
        cases.append(anyres_case(f"clip16__{Path(image).stem}", image, "clip_16", SMALL_PINPOINTS, full_pixels=True, write=write))
    for image in ["chelsea_444_odd.jpg", "tall_300x901.jpg"]:
        cases.append(anyres_case(f"clip16_odd__{Path(image).stem}", image, "clip_16", ODD_PINPOINTS, full_pixels=True, write=write))
    for image in ["chelsea_444_odd.jpg", "rocket_64x96.jpg"]:
        cases.append(anyres_case(f"clip20c16__{Path(image).stem}", image, "clip_20_crop_16", SMALL_PINPOINTS, full_pixels=True, write=write))
    cases.append(anyres_case("clip16__rocket_restart__pad", "rocket_restart.jpg", "clip_16", None, aspect="pad", full_pixels=True, write=write))
    cases.append(anyres_case("clip16__rocket_restart__resize", "rocket_restart.jpg", "clip_16", None, aspect="resize", full_pixels=True, write=write))

    manifest = {
        "generator": "scripts/make_anyres_refs.py",
        "sources": {"proxyv": "penghao-wu/ProxyV llava/mm_utils.py @ 9b994252da8dfb3ce7855bb540e0d6cbd1950c30",
                    "llava": "haotian-liu/LLaVA llava/mm_utils.py @ ff09d1917ff4205d81f00dc6a03b9e7f6bc63f02",
                    "llava_next": "LLaVA-VL/LLaVA-NeXT llava/mm_utils.py @ 4b2fe57a225dea46caf41f0239d2ff34c7917415"},
        "versions": {"pillow": PIL.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
                     "torch": torch.__version__, "processor_class": type(ClipPil()).__name__},
        "configs": {k: f"configs/{k}.json" for k in CONFIGS},
        "cases": cases,
        "best_resolution": best_resolution_cases(),
        "resize_and_pad": resize_and_pad_cases(),
        "pinpoint_strings": pinpoint_string_cases(),
        "resize (image, filter, width, height, crc32)": resample_cases(),
    }
    # One item per line: readable diffs.
    lines = ["{"]
    keys = list(manifest)
    for n, key in enumerate(keys):
        value = manifest[key]
        end = "," if n < len(keys) - 1 else ""
        if isinstance(value, list):
            lines.append(f" {json.dumps(key)}: [")
            lines += [f"  {json.dumps(item)}{',' if i < len(value) - 1 else ''}" for i, item in enumerate(value)]
            lines.append(f" ]{end}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}{end}")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)

    if args.check:
        old = json.loads((OUT / "anyres.json").read_text())
        new = json.loads(text)
        bad = 0
        for section in ["cases", "best_resolution", "resize_and_pad", "pinpoint_strings", "resize (image, filter, width, height, crc32)"]:
            for a, b in zip(old[section], new[section]):
                if a != b:
                    bad += 1
                    print(f"differs: {section} {a.get('name', a.get('pinpoints', a.get('target'))) if isinstance(a, dict) else a[:4]}", file=sys.stderr)
            assert len(old[section]) == len(new[section]), section
        print(f"check against transformers {transformers.__version__}, Pillow {PIL.__version__}: "
              f"{bad} differences", file=sys.stderr)
        sys.exit(1 if bad else 0)

    (OUT / "anyres.json").write_text(text)
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"{len(cases)} cases, {len(manifest['best_resolution'])} best-resolution, "
          f"{len(manifest['resize_and_pad'])} resize-and-pad; fixtures {total / 1024:.0f} KiB", file=sys.stderr)
    for c in cases:
        print(f"  {c['name']}: {c['width']}x{c['height']} -> {c.get('best_resolution')} shape {c['shape']}", file=sys.stderr)


if __name__ == "__main__":
    main()
