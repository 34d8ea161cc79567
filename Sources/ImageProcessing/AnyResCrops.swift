/// LLaVA-NeXT "anyres" image crops, as the original LLaVA code computes them: the whole image
/// squashed to the processor's size first, then the image resized into the best grid resolution,
/// padded with black and cut into crop-sized tiles in raster order; every one of them then goes
/// through the CLIP processor.
///
/// Mirrors llava/mm_utils.py `select_best_resolution`, `resize_and_pad_image`,
/// `divide_to_patches`, `get_anyres_image_grid_shape` and `process_anyres_image` in
/// penghao-wu/ProxyV (commit 9b99425), which are LLaVA-VL/LLaVA-NeXT's (commit 4b2fe57) and, for
/// list-valued `image_grid_pinpoints`, haotian-liu/LLaVA's (main, commit ff09d19) too.
/// scripts/make_anyres_refs.py runs those functions verbatim for the fixtures.
///
/// The two plain `image.resize(size)` calls in that code (the base image and the grid image)
/// pass no filter, so Pillow uses its default, BICUBIC, whatever `resample` the processor has.
public enum AnyResCrops {
    /// A resolution as the config writes it: [width, height].
    public struct Resolution: Sendable, Equatable, CustomStringConvertible {
        public var width: Int
        public var height: Int
        public init(width: Int, height: Int) { self.width = width; self.height = height }
        public var description: String { "\(width)x\(height)" }
    }

    /// `select_best_resolution`: the candidate whose aspect-preserving fit of the image keeps the
    /// most of its pixels (capped at the image's own pixel count), ties going to the candidate
    /// with the least unused area, then to the earlier one. An image so thin that its fitted
    /// height or width truncates to 0 everywhere keeps 0 pixels in every candidate, and the first
    /// one wins (its waste is below the initial infinity). `nil` only without candidates or for
    /// an empty image (the original returns None, or divides by zero).
    public static func bestResolution(original: Resolution, candidates: [Resolution]) -> Resolution? {
        let ow = original.width, oh = original.height
        guard ow > 0 && oh > 0 else { return nil }
        var best: Resolution?
        var maxEffective = 0
        var minWasted = Int.max  // float("inf"): no wasted area reaches it
        for c in candidates {
            // Python floats are doubles: same divisions, same min, int() truncates.
            let scale = min(Double(c.width) / Double(ow), Double(c.height) / Double(oh))
            let dw = Int(Double(ow) * scale), dh = Int(Double(oh) * scale)
            let effective = min(dw * dh, ow * oh)
            let wasted = c.width * c.height - effective
            if effective > maxEffective || (effective == maxEffective && wasted < minWasted) {
                maxEffective = effective
                minWasted = wasted
                best = c
            }
        }
        return best
    }

    /// `get_anyres_image_grid_shape`: (columns, rows) of crops for an image of `imageSize`.
    public static func gridShape(imageSize: Resolution, candidates: [Resolution], patchSize: Int) -> (columns: Int, rows: Int)? {
        guard patchSize > 0, let best = bestResolution(original: imageSize, candidates: candidates) else { return nil }
        return (best.width / patchSize, best.height / patchSize)
    }

    /// Where `resize_and_pad_image` puts the resized image inside `target`: the side with the
    /// smaller scale is filled, the other is `min(ceil(side * scale), target side)`, and the
    /// image is centred with floor division.
    public static func resizedPlacement(original: Resolution, target: Resolution) -> (x: Int, y: Int, width: Int, height: Int) {
        let scaleW = Double(target.width) / Double(original.width)
        let scaleH = Double(target.height) / Double(original.height)
        let newW: Int, newH: Int
        if scaleW < scaleH {
            newW = target.width
            newH = min(Int((Double(original.height) * scaleW).rounded(.up)), target.height)
        } else {
            newH = target.height
            newW = min(Int((Double(original.width) * scaleH).rounded(.up)), target.width)
        }
        return ((target.width - newW) / 2, (target.height - newH) / 2, newW, newH)
    }

    /// `resize_and_pad_image`: `image` resized (PIL BICUBIC) to fit `target` keeping its aspect
    /// ratio, pasted centred on a black `target`-sized canvas.
    /// An empty image gives the black canvas.
    public static func resizeAndPad(_ image: RGBImage, to target: Resolution) -> RGBImage {
        guard image.width > 0 && image.height > 0 else {
            return RGBImage(width: target.width, height: target.height, fill: (0, 0, 0))
        }
        let place = resizedPlacement(original: Resolution(width: image.width, height: image.height), target: target)
        let resized = PILResample.resize(image, width: place.width, height: place.height, filter: .bicubic)
        return paste(resized, at: (place.x, place.y), onBlack: target)
    }

    /// `divide_to_patches`: `patchSize` squares in raster order (rows top to bottom, left to right
    /// in a row), starting every `patchSize` pixels; a square reaching past the image is black
    /// there, as PIL's `crop` outside the image gives.
    public static func divideToPatches(_ image: RGBImage, patchSize: Int) -> [RGBImage] {
        precondition(patchSize > 0, "AnyResCrops: patch size must be positive")
        var patches: [RGBImage] = []
        for top in stride(from: 0, to: image.height, by: patchSize) {
            for left in stride(from: 0, to: image.width, by: patchSize) {
                patches.append(crop(image, left: left, top: top, size: patchSize))
            }
        }
        return patches
    }

    /// The 8-bit images `process_anyres_image` hands to the processor: the whole image resized
    /// (PIL BICUBIC, aspect ratio not kept) to `baseSize` × `baseSize`, then the crops of the
    /// image resized and padded to the best resolution.
    public static func images(_ image: RGBImage, candidates: [Resolution], patchSize: Int, baseSize: Int) throws -> [RGBImage] {
        guard patchSize > 0 && baseSize > 0 else {
            throw ImageError(.invalidConfig, file: "anyres", "patch size \(patchSize) and base size \(baseSize) must be positive")
        }
        try validate(candidates)
        guard let best = bestResolution(original: Resolution(width: image.width, height: image.height), candidates: candidates) else {
            throw ImageError(.invalidConfig, file: "anyres",
                             "no grid resolution fits a \(image.width)x\(image.height) image (image_grid_pinpoints \(candidates))")
        }
        let base = PILResample.resize(image, width: baseSize, height: baseSize, filter: .bicubic)
        return [base] + divideToPatches(resizeAndPad(image, to: best), patchSize: patchSize)
    }

    /// `process_anyres_image`: the pixel values of the base image and of every crop, base first
    /// ([1 + columns × rows] images of the processor's output size).
    ///
    /// - Parameters:
    ///   - gridPinpoints: `image_grid_pinpoints` from the model config, each `[width, height]`.
    ///   - patchSize: the crop side; the original uses the processor's `crop_size["height"]`,
    ///     which is what `nil` takes.
    /// - Throws: `ImageError.invalidConfig` for pinpoints that are not positive pairs, a
    ///   processor without `size.shortest_edge` or `crop_size` (the original fails on those
    ///   too), or an image no pinpoint fits.
    public static func process(_ image: RGBImage, processor: ImagePreprocessor, gridPinpoints: [[Int]], patchSize: Int? = nil) throws -> [PixelValues] {
        let candidates = try resolutions(gridPinpoints)
        let tile = try patchSize ?? cropHeight(processor.config)
        return try images(image, candidates: candidates, patchSize: tile, baseSize: baseSize(processor.config))
            .map { processor($0) }
    }

    /// `[[w, h], ...]` as resolutions; throws unless every entry is two positive integers.
    public static func resolutions(_ gridPinpoints: [[Int]]) throws -> [Resolution] {
        let candidates = gridPinpoints.compactMap { $0.count == 2 ? Resolution(width: $0[0], height: $0[1]) : nil }
        guard candidates.count == gridPinpoints.count else {
            throw ImageError(.invalidConfig, file: "anyres", "image_grid_pinpoints entries must be [width, height], got \(gridPinpoints)")
        }
        try validate(candidates)
        return candidates
    }

    /// The side of the base image: `processor.size["shortest_edge"]` (LLaVA; LLaVA-NeXT and
    /// ProxyV read the same key whenever `size` is a dict, which it always is in transformers 4).
    public static func baseSize(_ config: ImageProcessorConfig) throws -> Int {
        switch config.size {
        case .shortestEdge(let n), .shortestAndLongestEdge(let n, _): return n
        case .exact(let h, let w):
            throw ImageError(.invalidConfig, file: "anyres", "anyres needs size.shortest_edge in the processor config, got \(h)x\(w)")
        }
    }

    /// `processor.crop_size["height"]`: the crop side.
    public static func cropHeight(_ config: ImageProcessorConfig) throws -> Int {
        guard let crop = config.cropSize else {
            throw ImageError(.invalidConfig, file: "anyres", "anyres needs crop_size in the processor config")
        }
        return crop.height
    }

    private static func validate(_ candidates: [Resolution]) throws {
        guard !candidates.isEmpty, candidates.allSatisfy({ $0.width > 0 && $0.height > 0 }) else {
            throw ImageError(.invalidConfig, file: "anyres", "image_grid_pinpoints must be a non-empty list of positive [width, height], got \(candidates)")
        }
    }

    /// `Image.new("RGB", size, (0, 0, 0))` then `paste(image, (x, y))`, with (x, y) ≥ 0 and the
    /// image inside the canvas (resize_and_pad_image's placement guarantees both).
    static func paste(_ image: RGBImage, at origin: (x: Int, y: Int), onBlack size: Resolution) -> RGBImage {
        var out = RGBImage(width: size.width, height: size.height, fill: (0, 0, 0))
        let w = image.width
        out.pixels.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<image.height {
                    let s = y * w * 3, d = ((origin.y + y) * size.width + origin.x) * 3
                    for i in 0..<(w * 3) { dst[d + i] = src[s + i] }
                }
            }
        }
        return out
    }

    /// `image.crop((left, top, left + size, top + size))` with left, top ≥ 0: black past the edges.
    static func crop(_ image: RGBImage, left: Int, top: Int, size: Int) -> RGBImage {
        var out = RGBImage(width: size, height: size, fill: (0, 0, 0))
        let w = min(size, image.width - left), h = min(size, image.height - top)
        guard w > 0 && h > 0 else { return out }
        out.pixels.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    let s = ((top + y) * image.width + left) * 3, d = y * size * 3
                    for i in 0..<(w * 3) { dst[d + i] = src[s + i] }
                }
            }
        }
        return out
    }
}
