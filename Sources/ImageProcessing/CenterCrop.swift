/// transformers' `center_crop` (image_transforms.py) on an 8-bit image.
///
/// `top = (height - crop_height) // 2`, `left = (width - crop_width) // 2` (floor division);
/// when the crop is larger than the image, the image is first placed on a zero (black)
/// canvas of max(crop, image) size at `ceil((new - old) / 2)`, and the crop is taken from
/// that, so the result is always crop_height × crop_width.
public enum CenterCrop {
    public static func crop(_ image: RGBImage, height cropHeight: Int, width cropWidth: Int) -> RGBImage {
        let h = image.height, w = image.width
        if cropHeight == h && cropWidth == w { return image }
        var top = floorDiv(h - cropHeight, 2)
        var left = floorDiv(w - cropWidth, 2)
        var bottom = top + cropHeight, right = left + cropWidth
        if top >= 0 && bottom <= h && left >= 0 && right <= w {
            return copy(image, top: top, left: left, height: cropHeight, width: cropWidth)
        }
        // Pad with zeros to at least the crop size, then crop.
        let newH = max(cropHeight, h), newW = max(cropWidth, w)
        let topPad = (newH - h + 1) / 2, leftPad = (newW - w + 1) / 2  // ceil(d / 2), d >= 0
        var canvas = RGBImage(width: newW, height: newH, fill: (0, 0, 0))
        canvas.pixels.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    let s = y * w * 3, d = ((topPad + y) * newW + leftPad) * 3
                    for i in 0..<(w * 3) { dst[d + i] = src[s + i] }
                }
            }
        }
        top += topPad; bottom += topPad; left += leftPad; right += leftPad
        let y0 = max(0, top), y1 = min(newH, bottom), x0 = max(0, left), x1 = min(newW, right)
        return copy(canvas, top: y0, left: x0, height: y1 - y0, width: x1 - x0)
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func copy(_ image: RGBImage, top: Int, left: Int, height: Int, width: Int) -> RGBImage {
        var out = [UInt8](repeating: 0, count: height * width * 3)
        out.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<height {
                    let s = ((top + y) * image.width + left) * 3, d = y * width * 3
                    for i in 0..<(width * 3) { dst[d + i] = src[s + i] }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
