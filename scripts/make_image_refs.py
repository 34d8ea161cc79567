#!/usr/bin/env python3
"""Make the ImageProcessing test fixtures: input images and what Pillow + transformers make of them.

Inputs are real photos bundled with scikit-image (skimage.data: astronaut, coffee, chelsea,
rocket, camera, moon, text, logo), written small in the JPEG and PNG variants the decoder must
handle, plus a few broken files. Expected outputs come from the real libraries:

- decoding: transformers.image_utils.load_image (= PIL.ImageOps.exif_transpose(Image.open(f))
  .convert("RGB")), and plain Image.open(f).convert("RGB");
- preprocessing: transformers' PIL-backend processors (CLIPImageProcessorPil,
  SiglipImageProcessorPil, LlavaImageProcessorPil) loaded with from_pretrained from a directory
  holding the preprocessor_config.json, as a checkpoint's config is read; original LLaVA's
  expand2square (llava/mm_utils.py) copied below;
- resampling: PIL.Image.resize with each filter.

Writes Tests/ImageProcessingTests/Fixtures/:
  images/      inputs
  configs/     preprocessor_config.json variants
  expected/    8-bit results as RGB PNG, small pixel_values as .npy (float32, CHW)
  manifest.json  every case and its expectation (CRC-32 of RGB bytes, sizes, stats)

Usage: python3 scripts/make_image_refs.py [--bench-image PATH]
  --bench-image also writes a 1024x768 JPEG (not a fixture) for timing the release build.

Needs: pillow, numpy, scikit-image, transformers (PIL backend; torch/torchvision not needed),
pypng, imagecodecs (only for the YCCK JPEG).
"""

import argparse
import io
import json
import shutil
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import png  # pypng: PNG bit depths and layouts Pillow cannot write
import PIL
from PIL import Image
from skimage import data as skdata

import transformers
from transformers import CLIPImageProcessorPil, LlavaImageProcessorPil, SiglipImageProcessorPil
from transformers.image_utils import load_image

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "Tests" / "ImageProcessingTests" / "Fixtures"
IMAGES = FIX / "images"
CONFIGS = FIX / "configs"
EXPECTED = FIX / "expected"

rng = np.random.default_rng(1234)


def crc(a: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(a, dtype=np.uint8).tobytes()) & 0xFFFFFFFF


def small(img: np.ndarray, width: int, height: int) -> Image.Image:
    """A skimage array downscaled with PIL (LANCZOS) to width x height."""
    im = Image.fromarray(img)
    return im.resize((width, height), Image.Resampling.LANCZOS)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def raw_png(width, height, bit_depth, color_type, rows, plte=None, extra=b"") -> bytes:
    """A PNG written by hand (filter 0 on every row), for layouts no library writes."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if plte is not None:
        out += chunk(b"PLTE", plte)
    out += extra
    out += chunk(b"IDAT", zlib.compress(b"".join(b"\0" + r for r in rows), 9))
    return out + chunk(b"IEND", b"")


def pypng(path: Path, array: np.ndarray, **kw):
    """array: [H, W] or [H, W, C]; kw: greyscale, alpha, bitdepth, interlace, ..."""
    h, w = array.shape[:2]
    flat = array.reshape(h, -1)
    with open(path, "wb") as f:
        png.Writer(w, h, **kw).write(f, flat.tolist())


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


# --------------------------------------------------------------------------------------------
# Inputs


def make_inputs(with_ycck: bool):
    astronaut = skdata.astronaut()  # 512x512 RGB
    coffee = skdata.coffee()  # 400x600 RGB
    chelsea = skdata.chelsea()  # 300x451 RGB
    rocket = skdata.rocket()  # 427x640 RGB
    camera = skdata.camera()  # 512x512 L
    moon = skdata.moon()  # 512x512 L
    text = skdata.text()  # 172x448 L
    logo = skdata.logo()  # 500x500 RGBA

    decode = []  # (file, note)

    def add(name, note):
        decode.append({"file": name, "note": note})

    # JPEG
    small(astronaut, 256, 256).save(IMAGES / "astronaut_baseline.jpg", quality=90)
    add("astronaut_baseline.jpg", "baseline JPEG, 4:2:0, square")
    Image.fromarray(coffee).save(IMAGES / "coffee_progressive.jpg", quality=85, progressive=True)
    add("coffee_progressive.jpg", "progressive JPEG, 600x400 landscape")
    small(chelsea, 225, 150).convert("L").save(IMAGES / "chelsea_gray.jpg", quality=90)
    add("chelsea_gray.jpg", "grayscale JPEG")
    rocket_portrait = small(rocket, 213, 142).transpose(Image.Transpose.ROTATE_90)  # 142x213
    rocket_portrait.convert("CMYK").save(IMAGES / "rocket_cmyk.jpg", quality=90)
    add("rocket_cmyk.jpg", "CMYK JPEG (Adobe, inverted), portrait")
    Image.fromarray(chelsea[40:173, 100:301]).save(IMAGES / "chelsea_444_odd.jpg", quality=95, subsampling=0)
    add("chelsea_444_odd.jpg", "4:4:4 JPEG, odd size 201x133")
    small(coffee, 155, 97).save(IMAGES / "coffee_422_odd.jpg", quality=88, subsampling=1)
    add("coffee_422_odd.jpg", "4:2:2 JPEG, odd size 155x97")
    Image.fromarray(rocket[100:163, 200:300]).save(IMAGES / "rocket_restart.jpg", quality=80, restart_marker_rows=2)
    add("rocket_restart.jpg", "JPEG with restart markers")
    if with_ycck:
        import imagecodecs

        cmyk = np.asarray(small(chelsea, 120, 80).convert("CMYK"))
        blob = imagecodecs.jpeg8_encode(cmyk, level=90, colorspace="CMYK", outcolorspace="YCCK")
        i = blob.find(b"Adobe")
        assert i > 0 and blob[i + 11] == 2, "expected an Adobe marker with transform 2 (YCCK)"
        (IMAGES / "chelsea_ycck.jpg").write_bytes(blob)
        add("chelsea_ycck.jpg", "YCCK JPEG (Adobe transform 2)")
    # EXIF orientation: every value, on a small non-square crop.
    base = Image.fromarray(astronaut[60:92, 180:228])  # 48x32
    for o in range(1, 9):
        base.save(IMAGES / f"orientation_{o}.jpg", quality=92, exif=exif_bytes(o))
        add(f"orientation_{o}.jpg", f"EXIF orientation {o}")
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="8"/></rdf:RDF></x:xmpmeta>')
    base.save(IMAGES / "orientation_xmp8.jpg", quality=92, xmp=xmp)
    add("orientation_xmp8.jpg", "orientation 8 in XMP only")

    # PNG
    small(camera, 128, 128).save(IMAGES / "camera_gray8.png")
    add("camera_gray8.png", "8-bit grayscale PNG")
    Image.fromarray(text[:, :224] > 100).convert("1").save(IMAGES / "text_1bit.png")
    add("text_1bit.png", "1-bit grayscale PNG")
    cam64 = np.asarray(small(camera, 64, 48))
    pypng(IMAGES / "camera_gray2.png", cam64 >> 6, greyscale=True, bitdepth=2)
    add("camera_gray2.png", "2-bit grayscale PNG")
    pypng(IMAGES / "camera_gray4.png", cam64 >> 4, greyscale=True, bitdepth=4)
    add("camera_gray4.png", "4-bit grayscale PNG")
    moon16 = np.asarray(small(moon, 96, 96)).astype(np.uint16) * 257 + rng.integers(0, 257, (96, 96), dtype=np.uint16)
    pypng(IMAGES / "moon_gray16.png", moon16, greyscale=True, bitdepth=16)
    add("moon_gray16.png", "16-bit grayscale PNG, full range (Pillow clips to 255)")
    low16 = (np.asarray(small(moon, 64, 64)).astype(np.uint16) * 2)  # 0..510: half clips
    pypng(IMAGES / "moon_gray16_low.png", low16, greyscale=True, bitdepth=16)
    add("moon_gray16_low.png", "16-bit grayscale PNG, values 0..510")
    ast64 = np.asarray(small(astronaut, 64, 64)).astype(np.uint16)
    rgb16 = ast64 * 257 + rng.integers(0, 257, ast64.shape, dtype=np.uint16)
    pypng(IMAGES / "astronaut_rgb16.png", rgb16, greyscale=False, bitdepth=16)
    add("astronaut_rgb16.png", "16-bit RGB PNG")
    logo_small = small(logo, 120, 120)
    logo_small.save(IMAGES / "logo_rgba.png")
    add("logo_rgba.png", "8-bit RGBA PNG")
    rgba16 = np.concatenate([rgb16[:48, :48], rng.integers(0, 65536, (48, 48, 1), dtype=np.uint16)], axis=2)
    pypng(IMAGES / "astronaut_rgba16.png", rgba16, greyscale=False, alpha=True, bitdepth=16)
    add("astronaut_rgba16.png", "16-bit RGBA PNG")
    la = np.stack([np.asarray(small(camera, 64, 40)), rng.integers(0, 256, (40, 64), dtype=np.uint8)], axis=2)
    Image.fromarray(la, "LA").save(IMAGES / "camera_la8.png")
    add("camera_la8.png", "8-bit gray+alpha PNG")
    la16 = np.stack([cam64.astype(np.uint16) * 257 + 7, np.full((48, 64), 40000, np.uint16)], axis=2)
    pypng(IMAGES / "camera_la16.png", la16, greyscale=True, alpha=True, bitdepth=16)
    add("camera_la16.png", "16-bit gray+alpha PNG")
    pal = small(chelsea, 150, 100).quantize(256)
    pal.save(IMAGES / "chelsea_palette_trns.png", transparency=bytes([0, 128] + [255] * 30))
    add("chelsea_palette_trns.png", "8-bit palette PNG with tRNS")
    pal16 = small(coffee, 90, 60).quantize(16)
    pal16.save(IMAGES / "coffee_palette4.png", bits=4)
    add("coffee_palette4.png", "4-bit palette PNG")
    idx = (np.arange(12 * 8).reshape(8, 12) % 20).astype(np.uint8)  # indices 0..19, PLTE has 8
    (IMAGES / "palette_short.png").write_bytes(
        raw_png(12, 8, 8, 3, [bytes(r) for r in idx], plte=bytes(rng.integers(0, 256, 24, dtype=np.uint8))))
    add("palette_short.png", "palette PNG with indices past the PLTE entries")
    pypng(IMAGES / "chelsea_interlaced.png", np.asarray(small(chelsea, 77, 51)), greyscale=False, bitdepth=8, interlace=True)
    add("chelsea_interlaced.png", "Adam7-interlaced RGB PNG")
    small(rocket, 90, 60).save(IMAGES / "rocket_rgb_trns.png", transparency=(0, 0, 0))
    add("rocket_rgb_trns.png", "RGB PNG with tRNS")
    small(chelsea, 60, 40).save(IMAGES / "chelsea_exif6.png", exif=exif_bytes(6))
    add("chelsea_exif6.png", "PNG with eXIf orientation 6")
    small(coffee, 97, 64).save(IMAGES / "coffee_rgb8.png")
    add("coffee_rgb8.png", "8-bit RGB PNG")

    # Broken files: (file, expected error kind).
    errors = []

    def bad(name, blob, kind):
        (IMAGES / name).write_bytes(blob)
        errors.append({"file": name, "kind": kind})

    jpg = (IMAGES / "astronaut_baseline.jpg").read_bytes()
    tiny = (IMAGES / "orientation_1.jpg").read_bytes()
    prog = (IMAGES / "coffee_progressive.jpg").read_bytes()
    pngb = (IMAGES / "coffee_rgb8.png").read_bytes()
    bad("empty.jpg", b"", "empty")
    bad("not_an_image.jpg", b"<html><body>not an image</body></html>\n", "notAnImage")
    bad("truncated.jpg", jpg[: len(jpg) * 2 // 5], "truncated")
    bad("truncated_progressive.jpg", prog[: len(prog) // 3], "truncated")
    bad("truncated.png", pngb[: len(pngb) // 2], "truncated")
    bad("header_only.jpg", jpg[:20], "truncated")
    bad("signature_only.png", pngb[:8], "truncated")
    ihdr_bad = bytearray(pngb)
    ihdr_bad[29] ^= 0xFF  # IHDR's CRC
    bad("bad_crc.png", bytes(ihdr_bad), "corrupt")
    huge = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 200000, 200000, 8, 2, 0, 0, 0))
    huge += chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    bad("huge.png", huge, "tooLarge")
    sof = tiny.find(b"\xff\xc0")
    big = bytearray(tiny)
    big[sof + 5: sof + 9] = struct.pack(">HH", 60000, 60000)
    bad("huge.jpg", bytes(big), "tooLarge")
    bad("fake.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "unsupported")
    bad("garbage.png", b"\x89PNG\r\n\x1a\n" + bytes(rng.integers(0, 256, 300, dtype=np.uint8)), "corrupt")
    zapped = bytearray(pngb)
    i = pngb.find(b"IDAT") + 40
    zapped[i: i + 200] = bytes(rng.integers(0, 256, 200, dtype=np.uint8))
    bad("corrupt_idat.png", bytes(zapped), "corrupt")
    sos = tiny.find(b"\xff\xda")
    badmarker = bytearray(tiny)
    badmarker[sof + 2: sof + 4] = b"\x00\x01"  # SOF length 1
    bad("bad_sof.jpg", bytes(badmarker), "corrupt")
    assert sos > 0
    return decode, errors


# --------------------------------------------------------------------------------------------
# Expected outputs


def save_rgb_png(array: np.ndarray, path: Path):
    Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8), "RGB").save(path, optimize=True)


def pil_error(path: Path) -> str:
    try:
        im = load_image(str(path))
        im.load()
    except Exception as e:  # noqa: BLE001 - we record what Pillow says
        return f"{type(e).__name__}: {e}".splitlines()[0][:200]
    return ""


def expected_decoding(decode, errors):
    out_dir = EXPECTED / "decoded"
    for case in decode:
        path = IMAGES / case["file"]
        with Image.open(path) as im:
            case["pil_mode"] = im.mode
            plain = np.asarray(im.convert("RGB"))
        loaded = np.asarray(load_image(str(path)))
        h, w = loaded.shape[:2]
        case.update(width=w, height=h, crc32=crc(loaded), crc32_no_exif=crc(plain),
                    no_exif_width=plain.shape[1], no_exif_height=plain.shape[0])
        name = Path(case["file"]).stem + ".png"
        save_rgb_png(loaded, out_dir / name)
        case["expected"] = f"expected/decoded/{name}"
    for case in errors:
        case["pil_error"] = pil_error(IMAGES / case["file"])


# Original LLaVA (llava/mm_utils.py), verbatim.
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


PROCESSORS = {"clip": CLIPImageProcessorPil, "siglip": SiglipImageProcessorPil, "llava": LlavaImageProcessorPil}

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

CONFIG_FILES = {
    # openai/clip-vit-large-patch14-336 as published (int sizes, old feature extractor name).
    "clip_vit_l_336": ("clip", {
        "crop_size": 336, "do_center_crop": True, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
        "resample": 3, "size": 336}),
    # llava-hf/llava-1.5-7b-hf style.
    "llava15_clip_336": ("clip", {
        "crop_size": {"height": 336, "width": 336}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": CLIP_MEAN,
        "image_processor_type": "CLIPImageProcessor", "image_std": CLIP_STD, "processor_class": "LlavaProcessor",
        "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 336}}),
    "clip_small": ("clip", {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 40},
        "crop_size": {"height": 32, "width": 32}}),
    "clip_odd_crop": ("clip", {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 45},
        "crop_size": {"height": 37, "width": 29}}),
    "clip_crop_larger": ("clip", {
        "image_processor_type": "CLIPImageProcessor", "size": {"height": 30, "width": 50},
        "crop_size": {"height": 40, "width": 40}}),
    "clip_shortest_longest": ("clip", {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 48, "longest_edge": 60},
        "do_center_crop": False}),
    "clip_no_rescale": ("clip", {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 24},
        "crop_size": {"height": 24, "width": 24}, "do_rescale": False, "image_mean": [120.5, 110.25, 100.0],
        "image_std": [60.0, 61.5, 62.25]}),
    "clip_no_normalize": ("clip", {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 24},
        "crop_size": {"height": 24, "width": 24}, "do_normalize": False}),
    # llava-hf/llava-interleave-qwen-0.5b-hf style.
    "siglip_384": ("siglip", {
        "do_convert_rgb": None, "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "SiglipImageProcessor",
        "image_std": [0.5, 0.5, 0.5], "processor_class": "LlavaProcessor", "resample": 3,
        "rescale_factor": 0.00392156862745098, "size": {"height": 384, "width": 384}}),
    "siglip_small": ("siglip", {
        "image_processor_type": "SiglipImageProcessor", "size": {"height": 40, "width": 48}}),
    "siglip_small_bilinear": ("siglip", {
        "image_processor_type": "SiglipImageProcessor", "size": {"height": 40, "width": 48}, "resample": 2}),
    "llava_pad_small": ("llava", {
        "image_processor_type": "LlavaImageProcessor", "do_pad": True, "size": {"shortest_edge": 48},
        "crop_size": {"height": 48, "width": 48}}),
    "llava_pad_336": ("llava", {
        "image_processor_type": "LlavaImageProcessor", "do_pad": True, "size": {"shortest_edge": 336},
        "crop_size": {"height": 336, "width": 336}, "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
        "resample": 3, "rescale_factor": 0.00392156862745098}),
}


def load_processor(config_name):
    kind, cfg = CONFIG_FILES[config_name]
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "preprocessor_config.json").write_text(json.dumps(cfg))
        return PROCESSORS[kind].from_pretrained(d)


def processed_uint8(proc, image: Image.Image, pad: bool) -> np.ndarray:
    """The 8-bit CHW image after pad / resize / crop, with the processor's own methods."""
    arr = np.moveaxis(np.asarray(image), -1, 0)
    if pad:
        arr = proc.pad_to_square(arr, background_color=tuple(int(x * 255) for x in proc.image_mean))
    if proc.do_resize:
        arr = proc.resize(image=arr, size=proc.size, resample=proc.resample)
    if proc.do_center_crop:
        arr = proc.center_crop(arr, proc.crop_size)
    return arr


def stats(values: np.ndarray):
    flat = values.reshape(-1)
    idx = np.sort(rng.choice(flat.size, size=min(64, flat.size), replace=False))

    def f32(x):  # 9 significant digits give the float32 back exactly
        return float(f"{float(x):.9g}")

    return {"sum": float(flat.astype(np.float64).sum()), "sum_squares": float((flat.astype(np.float64) ** 2).sum()),
            "min": f32(flat.min()), "max": f32(flat.max()),
            "samples": [[int(i), f32(flat[i])] for i in idx]}


def expected_preprocessing(all_decode_files):
    cases = []
    full = set()
    saved_pngs = {}

    def case(config, image, pad_override=None, full_pixels=False, save_png=True):
        proc = load_processor(config)
        pil = load_image(str(IMAGES / image))
        kind = CONFIG_FILES[config][0]
        if pad_override:  # original LLaVA: expand2square, then the CLIP processor
            pil = expand2square(pil, tuple(int(x * 255) for x in proc.image_mean))
        pad = kind == "llava" and bool(proc.do_pad)
        pixel_values = proc(images=pil, return_tensors="np")["pixel_values"][0]
        u8 = processed_uint8(proc, pil, pad)
        # The 8-bit image is what the processor used: rescale + normalize it the same way.
        again = u8
        if proc.do_rescale:
            again = proc.rescale(again, proc.rescale_factor)
        if proc.do_normalize:
            again = proc.normalize(again, proc.image_mean, proc.image_std)
        assert np.array_equal(np.asarray(again, dtype=np.float32), pixel_values), (config, image)
        hwc = np.moveaxis(u8, 0, -1)
        name = f"{config}__{Path(image).stem}{'__expand2square' if pad_override else ''}"
        entry = {"name": name, "config": f"configs/{config}.json", "image": f"images/{image}",
                 "pad_to_square": bool(pad_override) if pad_override else None,
                 "height": int(pixel_values.shape[1]), "width": int(pixel_values.shape[2]),
                 "processed_crc32": crc(hwc)}
        if save_png:
            # Identical results (expand2square + CLIP and LlavaImageProcessor do_pad) share a file.
            key = (entry["processed_crc32"], hwc.shape)
            if key not in saved_pngs:
                save_rgb_png(hwc, EXPECTED / "processed" / f"{name}.png")
                saved_pngs[key] = f"expected/processed/{name}.png"
            entry["processed"] = saved_pngs[key]
        if full_pixels:
            np.save(EXPECTED / "pixels" / f"{name}.npy", pixel_values.astype(np.float32))
            entry["pixels"] = f"expected/pixels/{name}.npy"
            full.add(name)
        entry["pixel_stats"] = stats(pixel_values)
        cases.append(entry)

    # Real model settings, full size.
    case("clip_vit_l_336", "coffee_progressive.jpg")  # 600x400 → 504x336 → crop 336 (downscale)
    case("llava15_clip_336", "astronaut_baseline.jpg")  # 256 → 336 (upscale)
    case("llava15_clip_336", "rocket_cmyk.jpg", save_png=False)
    case("llava15_clip_336", "coffee_progressive.jpg", pad_override=True)  # original LLaVA-1.5 path
    case("llava_pad_336", "coffee_progressive.jpg")  # transformers LlavaImageProcessor do_pad
    case("siglip_384", "chelsea_gray.jpg")
    case("siglip_384", "coffee_progressive.jpg", save_png=False)
    # Small settings on every decodable fixture.
    for image in all_decode_files:
        case("clip_small", image, full_pixels=image in ("astronaut_baseline.jpg", "logo_rgba.png"))
    for image in ["coffee_progressive.jpg", "rocket_cmyk.jpg", "chelsea_444_odd.jpg", "camera_gray8.png"]:
        case("siglip_small", image, full_pixels=image == "rocket_cmyk.jpg")
        case("siglip_small_bilinear", image, full_pixels=image == "coffee_progressive.jpg")
        case("llava_pad_small", image, full_pixels=image == "rocket_cmyk.jpg")
        case("clip_odd_crop", image)
        case("clip_crop_larger", image, full_pixels=image == "chelsea_444_odd.jpg")
        case("clip_shortest_longest", image)
    case("clip_no_rescale", "coffee_422_odd.jpg", full_pixels=True)
    case("clip_no_normalize", "coffee_422_odd.jpg", full_pixels=True)
    return cases


def expected_resampling():
    """PIL.Image.resize with every filter, up and down, both passes and one pass only."""
    cases = []
    sources = {
        "astronaut_baseline.jpg": [(100, 77), (37, 250), (256, 64), (7, 256), (1, 1), (255, 255)],
        "chelsea_interlaced.png": [(131, 97), (77, 120), (200, 51), (3, 2)],
    }
    for image, sizes in sources.items():
        src = load_image(str(IMAGES / image))
        for f in [1, 2, 3, 4, 5]:
            for w, h in sizes:
                out = np.asarray(src.resize((w, h), Image.Resampling(f)))
                name = f"{Path(image).stem}__f{f}__{w}x{h}"
                entry = {"name": name, "image": f"images/{image}", "filter": f, "width": w, "height": h,
                         "crc32": crc(out)}
                if w * h <= 8000:  # larger ones: CRC only, to keep the fixtures small
                    save_rgb_png(out, EXPECTED / "resampled" / f"{name}.png")
                    entry["expected"] = f"expected/resampled/{name}.png"
                cases.append(entry)
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-image", type=Path, help="also write a 1024x768 JPEG here for timing")
    ap.add_argument("--no-ycck", action="store_true", help="skip the YCCK JPEG (needs imagecodecs)")
    args = ap.parse_args()

    if FIX.exists():
        for sub in ["images", "configs", "expected"]:
            shutil.rmtree(FIX / sub, ignore_errors=True)
    for d in [IMAGES, CONFIGS, EXPECTED / "decoded", EXPECTED / "processed", EXPECTED / "pixels", EXPECTED / "resampled"]:
        d.mkdir(parents=True, exist_ok=True)

    decode, errors = make_inputs(with_ycck=not args.no_ycck)
    expected_decoding(decode, errors)
    for name, (_, cfg) in CONFIG_FILES.items():
        (CONFIGS / f"{name}.json").write_text(json.dumps(cfg, indent=2) + "\n")
    preprocess = expected_preprocessing([c["file"] for c in decode])
    resample = expected_resampling()

    manifest = {
        "generator": "scripts/make_image_refs.py",
        "versions": {"pillow": PIL.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
                     "libjpeg": PIL.features.version("jpg") if hasattr(PIL, "features") else None},
        "decode": decode, "errors": errors, "preprocess": preprocess, "resample": resample,
    }
    # One case per line: readable diffs without a 70k-line file.
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
    (FIX / "manifest.json").write_text("\n".join(lines) + "\n")
    json.loads((FIX / "manifest.json").read_text())

    total = sum(p.stat().st_size for p in FIX.rglob("*") if p.is_file())
    print(f"{len(decode)} decode, {len(errors)} error, {len(preprocess)} preprocess, {len(resample)} resample cases; "
          f"fixtures {total / 1024:.0f} KiB", file=sys.stderr)

    if args.bench_image:
        Image.fromarray(skdata.astronaut()).resize((1024, 768), Image.Resampling.LANCZOS).save(args.bench_image, quality=90)
        print(f"wrote {args.bench_image}", file=sys.stderr)


if __name__ == "__main__":
    from PIL import features  # noqa: F401 - for the version in the manifest
    main()
