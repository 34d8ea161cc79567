/// A transformers image processor (CLIP, SigLIP, LLaVA) for one decoded image, driven by an
/// `ImageProcessorConfig`, matching transformers' PIL backend bit for bit on the 8-bit image
/// and to float32 rounding on the pixel values.
///
/// The steps and their order are transformers 5's `PilBackend._preprocess`
/// (image_processing_backends.py) and `LlavaImageProcessorPil._preprocess`, the same as
/// transformers 4's slow processors:
///
/// 1. LLaVA pad to square with the mean colour (`PadToSquare`), if enabled;
/// 2. resize with PIL (`PILResample`) to the size `ImageProcessorConfig.Size.outputSize` gives;
/// 3. center crop (`CenterCrop`);
/// 4. rescale: `(uint8 as float64 * rescale_factor) as float32` (image_transforms.py `rescale`);
/// 5. normalize in float32: `(x - float32(mean)) / float32(std)` (image_transforms.py `normalize`).
///
/// transformers 5 makes the torchvision backend the default for `CLIPImageProcessor` when
/// torchvision is installed; its bicubic resize is not PIL's and differs by a few levels.
/// This type follows the PIL backend (`CLIPImageProcessorPil`, `backend="pil"`), which is also
/// what transformers 4 and the original LLaVA code use.
public struct ImagePreprocessor: Sendable {
    public let config: ImageProcessorConfig
    /// Whether the image is padded to a square first: `config.doPad` for a LLaVA processor,
    /// or the `padToSquare` given to `init` (e.g. original LLaVA's `image_aspect_ratio: "pad"`).
    public let padToSquare: Bool
    let filter: ResampleFilter
    /// Per channel, the float for each byte value: steps 4 and 5 depend only on (channel, value).
    let lookup: [Float]

    /// Checks the config (`ImageError.invalidConfig`) and precomputes the float mapping.
    public init(config: ImageProcessorConfig, padToSquare: Bool? = nil) throws {
        try config.validate()
        self.config = config
        self.padToSquare = padToSquare ?? (config.kind == .llava && config.doPad)
        if self.padToSquare && config.imageMean.count != 3 {
            throw ImageError(.invalidConfig, file: "preprocessor config", "padding to a square needs 3 image_mean values")
        }
        filter = ResampleFilter(rawValue: config.resample) ?? .bicubic
        var lookup = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            for v in 0..<256 {
                var x = config.doRescale ? Float(Double(v) * config.rescaleFactor) : Float(v)
                if config.doNormalize {
                    x = (x - Float(config.imageMean[c])) / Float(config.imageStd[c])
                }
                lookup[c * 256 + v] = x
            }
        }
        self.lookup = lookup
    }

    /// The model input for `image`: float32 [3, H, W].
    public func callAsFunction(_ image: RGBImage) -> PixelValues {
        pixelValues(fromProcessed: processedImage(image))
    }

    /// Steps 1–3: the 8-bit image after padding, resizing and cropping.
    public func processedImage(_ image: RGBImage) -> RGBImage {
        var image = image
        if padToSquare {
            image = PadToSquare.pad(image, background: PadToSquare.background(forMean: config.imageMean))
        }
        if config.doResize {
            let (h, w) = config.size.outputSize(height: image.height, width: image.width)
            image = PILResample.resize(image, width: w, height: h, filter: filter)
        }
        if config.doCenterCrop, let crop = config.cropSize {
            image = CenterCrop.crop(image, height: crop.height, width: crop.width)
        }
        return image
    }

    /// Steps 4–5 on an already processed 8-bit image, transposed to CHW.
    public func pixelValues(fromProcessed image: RGBImage) -> PixelValues {
        let plane = image.width * image.height
        var data = [Float](repeating: 0, count: 3 * plane)
        data.withUnsafeMutableBufferPointer { out in
            image.pixels.withUnsafeBufferPointer { src in
                lookup.withUnsafeBufferPointer { lut in
                    for i in 0..<plane {
                        out[i] = lut[Int(src[3 * i])]
                        out[plane + i] = lut[256 + Int(src[3 * i + 1])]
                        out[2 * plane + i] = lut[512 + Int(src[3 * i + 2])]
                    }
                }
            }
        }
        return PixelValues(height: image.height, width: image.width, data: data)
    }

    /// The (height, width) of the pixel values for an input of `width` × `height`.
    public func outputSize(width: Int, height: Int) -> (height: Int, width: Int) {
        var h = height, w = width
        if padToSquare { h = max(h, w); w = h }
        if config.doResize { (h, w) = config.size.outputSize(height: h, width: w) }
        if config.doCenterCrop, let crop = config.cropSize { (h, w) = (crop.height, crop.width) }
        return (h, w)
    }
}
