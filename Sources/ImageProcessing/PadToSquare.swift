/// LLaVA's pad-to-square: the image centred on a square of the mean colour, before resizing.
///
/// Original LLaVA (llava/mm_utils.py `expand2square`, used when the model config has
/// `image_aspect_ratio: "pad"`, as LLaVA-1.5 does):
///
///     background = tuple(int(x * 255) for x in image_processor.image_mean)
///     if width > height: result.paste(img, (0, (width - height) // 2))
///     else:              result.paste(img, ((height - width) // 2, 0))
///
/// transformers' `LlavaImageProcessor` with `do_pad: true` does the same
/// (models/llava/image_processing_pil_llava.py `pad_to_square`: background
/// `tuple(int(x * 255) for x in image_mean)`, offset `(max_dim - side) // 2`).
public enum PadToSquare {
    /// `int(x * 255)` per channel: truncation, so CLIP's mean gives (122, 116, 104).
    public static func background(forMean mean: [Double]) -> (UInt8, UInt8, UInt8) {
        precondition(mean.count == 3, "PadToSquare: mean needs 3 values")
        func channel(_ x: Double) -> UInt8 { UInt8(clamping: Int(x * 255)) }
        return (channel(mean[0]), channel(mean[1]), channel(mean[2]))
    }

    /// The image centred on a max(width, height) square of `background`; a square image is
    /// returned as it is.
    public static func pad(_ image: RGBImage, background: (UInt8, UInt8, UInt8)) -> RGBImage {
        let w = image.width, h = image.height
        if w == h { return image }
        let side = max(w, h)
        var out = RGBImage(width: side, height: side, fill: background)
        let x0 = w > h ? 0 : (h - w) / 2
        let y0 = w > h ? (w - h) / 2 : 0
        out.pixels.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    let s = y * w * 3, d = ((y0 + y) * side + x0) * 3
                    for i in 0..<(w * 3) { dst[d + i] = src[s + i] }
                }
            }
        }
        return out
    }
}
