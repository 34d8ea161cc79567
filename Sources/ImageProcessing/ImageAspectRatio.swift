/// How an original-LLaVA-layout checkpoint turns an image into pixel values, chosen by its
/// config.json `image_aspect_ratio`: llava/mm_utils.py `process_images` in penghao-wu/ProxyV
/// (commit 9b99425), which is LLaVA-NeXT's (commit 4b2fe57) plus a "resize" branch; haotian-liu/LLaVA
/// (main, commit ff09d19) has only "pad", "anyres" and the plain processor.
public enum ImageAspectRatio: Sendable, Equatable {
    /// `"pad"`: `expand2square` with the mean colour (`PadToSquare`, which is that function
    /// exactly), then the processor. LLaVA-1.5.
    case pad
    /// `"anyres"`, or (ProxyV, LLaVA-NeXT) any value containing `"anyres_max"`: `AnyResCrops`.
    /// Original LLaVA knows only `"anyres"` and gives `"anyres_max_N"` the plain processor.
    case anyres(gridPinpoints: [[Int]])
    /// `"resize"` (ProxyV only): the image squashed (PIL BICUBIC) to shortest_edge ×
    /// shortest_edge, then the processor.
    case resize
    /// Anything else, or no value: the processor alone.
    case processorOnly

    /// Reads `image_aspect_ratio` and, for anyres, `image_grid_pinpoints` (as `[[width, height]]`).
    /// Throws `ImageError.invalidConfig` for "highres" and "crop_split" (LLaVA-NeXT video and
    /// experiment modes, not implemented) and for anyres without pinpoints.
    public init(configValue: String?, gridPinpoints: [[Int]]?) throws {
        switch configValue {
        case "highres", "crop_split":
            throw ImageError(.invalidConfig, file: "config.json", "image_aspect_ratio \"\(configValue!)\" is not supported (pad, anyres, resize are)")
        case "pad": self = .pad
        case "resize": self = .resize
        case let value? where value == "anyres" || value.contains("anyres_max"):
            guard let gridPinpoints, !gridPinpoints.isEmpty else {
                throw ImageError(.invalidConfig, file: "config.json", "image_aspect_ratio \"\(value)\" needs image_grid_pinpoints")
            }
            _ = try AnyResCrops.resolutions(gridPinpoints)
            self = .anyres(gridPinpoints: gridPinpoints)
        default:
            // ProxyV's `"anyres_max" in image_aspect_ratio` raises on None; original LLaVA
            // (and a config without the key) gets the plain processor, as here.
            self = .processorOnly
        }
    }

    /// The pixel values for `image`: one [3, H, W] array, or for anyres the base image then
    /// every crop.
    public func process(_ image: RGBImage, processor: ImagePreprocessor) throws -> [PixelValues] {
        switch self {
        case .pad:
            guard processor.config.imageMean.count == 3 else {
                throw ImageError(.invalidConfig, file: "preprocessor config", "padding to a square needs 3 image_mean values")
            }
            let square = PadToSquare.pad(image, background: PadToSquare.background(forMean: processor.config.imageMean))
            return [processor(square)]
        case .anyres(let gridPinpoints):
            return try AnyResCrops.process(image, processor: processor, gridPinpoints: gridPinpoints)
        case .resize:
            let side = try AnyResCrops.baseSize(processor.config)
            return [processor(PILResample.resize(image, width: side, height: side, filter: .bicubic))]
        case .processorOnly:
            return [processor(image)]
        }
    }
}
