import ConfigDecoding
import Foundation

/// The fields of a HuggingFace `preprocessor_config.json` that CLIP, SigLIP and LLaVA image
/// processors use, with transformers' defaults for the ones a file leaves out (or sets to null).
///
/// Defaults are the class attributes of transformers 5's
/// models/clip/image_processing_pil_clip.py (`CLIPImageProcessorPil`), models/siglip/
/// image_processing_pil_siglip.py and models/llava/image_processing_pil_llava.py, which are the
/// same as transformers 4's slow `CLIPImageProcessor` / `SiglipImageProcessor` /
/// `LlavaImageProcessor`. The processor kind comes from `image_processor_type` (or the older
/// `feature_extractor_type`, as openai/clip-vit-large-patch14-336 has it); a file with
/// neither is read as CLIP.
///
/// Size fields accept every form transformers' `get_size_dict` does: an int (for `size`:
/// `{"shortest_edge": n}`, since these processors have `default_to_square = False`; for
/// `crop_size`: n × n), a `[height, width]` list, or a dict.
public struct ImageProcessorConfig: Codable, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case clip = "CLIPImageProcessor"
        case siglip = "SiglipImageProcessor"
        case llava = "LlavaImageProcessor"
    }

    /// How `size` is meant (transformers' `SizeDict` forms these processors accept).
    public enum Size: Sendable, Equatable {
        /// `{"shortest_edge": n}`: the short side becomes n, the long side keeps the aspect
        /// ratio (truncated), as `get_resize_output_image_size(default_to_square=False)`.
        case shortestEdge(Int)
        /// `{"shortest_edge": s, "longest_edge": l}`: `get_size_with_aspect_ratio`.
        case shortestAndLongestEdge(shortest: Int, longest: Int)
        /// `{"height": h, "width": w}`: exactly that size.
        case exact(height: Int, width: Int)
    }

    public struct CropSize: Sendable, Equatable {
        public var height: Int
        public var width: Int
        public init(height: Int, width: Int) { self.height = height; self.width = width }
    }

    public var kind: Kind
    public var doResize: Bool
    public var size: Size
    /// PIL resampling filter number: 2 bilinear, 3 bicubic (also 1 lanczos, 4 box, 5 hamming).
    public var resample: Int
    public var doCenterCrop: Bool
    public var cropSize: CropSize?
    public var doRescale: Bool
    public var rescaleFactor: Double
    public var doNormalize: Bool
    public var imageMean: [Double]
    public var imageStd: [Double]
    /// Decoded images are always RGB here, so this changes nothing; kept for completeness.
    public var doConvertRGB: Bool
    /// LlavaImageProcessor's pad-to-square with the mean colour, before resizing. Only the
    /// LLaVA kind pads; for CLIP and SigLIP transformers' `do_pad` pads a batch to its largest
    /// image, which for one image does nothing.
    public var doPad: Bool

    public static let openAIClipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let openAIClipStd = [0.26862954, 0.26130258, 0.27577711]
    public static let imagenetStandardMean = [0.5, 0.5, 0.5]
    public static let imagenetStandardStd = [0.5, 0.5, 0.5]

    /// The defaults transformers has for `kind` when a config sets nothing.
    public init(kind: Kind) {
        self.kind = kind
        doResize = true
        resample = ResampleFilter.bicubic.rawValue
        doRescale = true
        rescaleFactor = 1.0 / 255.0
        doNormalize = true
        doConvertRGB = true
        doPad = false
        switch kind {
        case .clip, .llava:
            size = .shortestEdge(224)
            doCenterCrop = true
            cropSize = CropSize(height: 224, width: 224)
            imageMean = Self.openAIClipMean
            imageStd = Self.openAIClipStd
        case .siglip:
            size = .exact(height: 224, width: 224)
            doCenterCrop = false
            cropSize = nil
            imageMean = Self.imagenetStandardMean
            imageStd = Self.imagenetStandardStd
        }
    }

    /// Reads and checks a preprocessor_config.json; errors name the file.
    public static func load(contentsOf url: URL) throws -> ImageProcessorConfig {
        let name = url.lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError(.unreadable, file: name, "cannot read the preprocessor config")
        }
        return try decode(data, name: name)
    }

    /// Parses and checks JSON; errors name `name` (and the field: `field 'do_resize': expected Bool`).
    public static func decode(_ data: Data, name: String) throws -> ImageProcessorConfig {
        do {
            let config = try ConfigDecodingError.decode(ImageProcessorConfig.self, from: data)
            try config.validate(name: name)
            return config
        } catch let error as ImageError {
            throw ImageError(error.kind, file: name, error.message)
        } catch let error as ConfigDecodingError {
            throw ImageError(.invalidConfig, file: name, error.message)
        } catch {
            throw ImageError(.invalidConfig, file: name, "\(error)")
        }
    }

    /// Throws `.invalidConfig` for values transformers would reject or this target does not support.
    public func validate(name: String = "preprocessor config") throws {
        func fail(_ message: String) -> ImageError { ImageError(.invalidConfig, file: name, message) }
        if doResize {
            guard ResampleFilter(rawValue: resample) != nil else {
                throw fail("resample \(resample) is not supported (1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)")
            }
            switch size {
            case .shortestEdge(let n) where n <= 0: throw fail("size.shortest_edge must be positive, got \(n)")
            case .shortestAndLongestEdge(let s, let l) where s <= 0 || l <= 0:
                throw fail("size edges must be positive, got \(s) and \(l)")
            case .exact(let h, let w) where h <= 0 || w <= 0: throw fail("size must be positive, got \(h)x\(w)")
            default: break
            }
        }
        if doCenterCrop {
            guard let cropSize else { throw fail("do_center_crop is set but crop_size is missing") }
            guard cropSize.height > 0 && cropSize.width > 0 else {
                throw fail("crop_size must be positive, got \(cropSize.height)x\(cropSize.width)")
            }
        }
        if doNormalize || doPad {
            guard imageMean.count == 3 else { throw fail("image_mean must have 3 values, got \(imageMean.count)") }
        }
        if doNormalize {
            guard imageStd.count == 3 else { throw fail("image_std must have 3 values, got \(imageStd.count)") }
        }
    }

    enum CodingKeys: String, CodingKey {
        case imageProcessorType = "image_processor_type"
        case featureExtractorType = "feature_extractor_type"
        case doResize = "do_resize"
        case size
        case resample
        case doCenterCrop = "do_center_crop"
        case cropSize = "crop_size"
        case doRescale = "do_rescale"
        case rescaleFactor = "rescale_factor"
        case doNormalize = "do_normalize"
        case imageMean = "image_mean"
        case imageStd = "image_std"
        case doConvertRGB = "do_convert_rgb"
        case doPad = "do_pad"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let typeName = try c.decodeIfPresent(String.self, forKey: .imageProcessorType)
            ?? c.decodeIfPresent(String.self, forKey: .featureExtractorType)
        self.init(kind: try Self.kind(from: typeName))
        doResize = try c.decodeIfPresent(Bool.self, forKey: .doResize) ?? doResize
        if let value = try c.decodeIfPresent(SizeField.self, forKey: .size) {
            size = try value.asSize()
        }
        resample = try c.integerIfPresent(.resample) ?? resample
        doCenterCrop = try c.decodeIfPresent(Bool.self, forKey: .doCenterCrop) ?? doCenterCrop
        if let value = try c.decodeIfPresent(SizeField.self, forKey: .cropSize) {
            cropSize = try value.asCropSize()
        }
        doRescale = try c.decodeIfPresent(Bool.self, forKey: .doRescale) ?? doRescale
        rescaleFactor = try c.decodeIfPresent(Double.self, forKey: .rescaleFactor) ?? rescaleFactor
        doNormalize = try c.decodeIfPresent(Bool.self, forKey: .doNormalize) ?? doNormalize
        imageMean = try c.decodeIfPresent(FloatList.self, forKey: .imageMean)?.values ?? imageMean
        imageStd = try c.decodeIfPresent(FloatList.self, forKey: .imageStd)?.values ?? imageStd
        doConvertRGB = try c.decodeIfPresent(Bool.self, forKey: .doConvertRGB) ?? doConvertRGB
        doPad = try c.decodeIfPresent(Bool.self, forKey: .doPad) ?? doPad
    }

    /// Writes the HF field names, sizes as dicts (`{"shortest_edge": n}`, `{"height", "width"}`).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind.rawValue, forKey: .imageProcessorType)
        try c.encode(doResize, forKey: .doResize)
        switch size {
        case .shortestEdge(let n): try c.encode(["shortest_edge": n], forKey: .size)
        case .shortestAndLongestEdge(let s, let l): try c.encode(["shortest_edge": s, "longest_edge": l], forKey: .size)
        case .exact(let h, let w): try c.encode(["height": h, "width": w], forKey: .size)
        }
        try c.encode(resample, forKey: .resample)
        try c.encode(doCenterCrop, forKey: .doCenterCrop)
        if let cropSize { try c.encode(["height": cropSize.height, "width": cropSize.width], forKey: .cropSize) }
        try c.encode(doRescale, forKey: .doRescale)
        try c.encode(rescaleFactor, forKey: .rescaleFactor)
        try c.encode(doNormalize, forKey: .doNormalize)
        try c.encode(imageMean, forKey: .imageMean)
        try c.encode(imageStd, forKey: .imageStd)
        try c.encode(doConvertRGB, forKey: .doConvertRGB)
        if kind == .llava { try c.encode(doPad, forKey: .doPad) }
    }

    static func kind(from typeName: String?) throws -> Kind {
        guard let typeName else { return .clip }
        var base = typeName
        for suffix in ["Pil", "Fast"] where base.hasSuffix(suffix) { base.removeLast(suffix.count) }
        switch base {
        case "CLIPImageProcessor", "CLIPFeatureExtractor": return .clip
        case "SiglipImageProcessor": return .siglip
        case "LlavaImageProcessor": return .llava
        default:
            throw ImageError(.invalidConfig, file: "", "unsupported image processor type \(typeName) (CLIP, Siglip and Llava image processors are)")
        }
    }

    /// `size` / `crop_size` in any of the JSON forms transformers accepts.
    private enum SizeField: Decodable {
        case int(Int)
        case list([Int])
        case dict([String: Int])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(JSONInteger.self) {
                self = .int(v.value)
            } else if (try? decoder.unkeyedContainer()) != nil {
                self = .list(try c.decode([JSONInteger].self).map(\.value))
            } else {
                do {
                    self = .dict(try c.decode([String: JSONInteger].self).mapValues(\.value))
                } catch DecodingError.typeMismatch(_, let context) where context.codingPath.count == decoder.codingPath.count {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                        debugDescription: "expected an integer, a [height, width] list or an object"))
                }
            }
        }

        func asSize() throws -> Size {
            switch self {
            case .int(let n): return .shortestEdge(n)  // default_to_square = False
            case .list(let l) where l.count == 2: return .exact(height: l[0], width: l[1])
            case .dict(let d):
                let keys = Set(d.keys)
                if keys == ["height", "width"] { return .exact(height: d["height"]!, width: d["width"]!) }
                if keys == ["shortest_edge"] { return .shortestEdge(d["shortest_edge"]!) }
                if keys == ["shortest_edge", "longest_edge"] {
                    return .shortestAndLongestEdge(shortest: d["shortest_edge"]!, longest: d["longest_edge"]!)
                }
                throw ImageError(.invalidConfig, file: "", "unsupported size \(d.keys.sorted()) (height+width, shortest_edge, or shortest_edge+longest_edge)")
            default: break
            }
            throw ImageError(.invalidConfig, file: "", "size must be an int, [height, width] or a dict")
        }

        func asCropSize() throws -> CropSize {
            switch self {
            case .int(let n): return CropSize(height: n, width: n)  // default_to_square = True
            case .list(let l) where l.count == 2: return CropSize(height: l[0], width: l[1])
            case .dict(let d) where Set(d.keys) == ["height", "width"]:
                return CropSize(height: d["height"]!, width: d["width"]!)
            default:
                throw ImageError(.invalidConfig, file: "", "crop_size must be an int, [height, width] or {height, width}")
            }
        }
    }

    /// `image_mean` / `image_std`: a list, or one number for all channels.
    private struct FloatList: Decodable {
        var values: [Double]
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Double.self) { values = [v, v, v] } else { values = try c.decode([Double].self) }
        }
    }
}

extension ImageProcessorConfig.Size {
    /// The (height, width) an image of `height` × `width` is resized to
    /// (transformers image_transforms.py `get_resize_output_image_size` with
    /// `default_to_square=False`, `get_size_with_aspect_ratio`).
    /// Sizes below 1 (only `shortestAndLongestEdge` on extreme aspect ratios gets there, and
    /// transformers fails on it) are raised to 1.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let (h, w) = rawOutputSize(height: height, width: width)
        return (max(h, 1), max(w, 1))
    }

    private func rawOutputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        guard height > 0 && width > 0 else { return (height, width) }
        switch self {
        case .exact(let h, let w):
            return (h, w)
        case .shortestEdge(let size):
            let (short, long) = width <= height ? (width, height) : (height, width)
            // int(size * long / short): exact integer product, true division, truncation.
            let newLong = Int(Double(size * long) / Double(short))
            return width <= height ? (newLong, size) : (size, newLong)
        case .shortestAndLongestEdge(let shortest, let longest):
            var size = shortest
            var rawSize: Double?
            let minOriginal = Double(min(height, width)), maxOriginal = Double(max(height, width))
            if maxOriginal / minOriginal * Double(size) > Double(longest) {
                let raw = Double(longest) * minOriginal / maxOriginal
                rawSize = raw
                size = Int(raw.rounded(.toNearestOrEven))  // Python's round()
            }
            if (height <= width && height == size) || (width <= height && width == size) {
                return (height, width)
            } else if width < height {
                let oh = rawSize.map { Int($0 * Double(height) / Double(width)) } ?? Int(Double(size * height) / Double(width))
                return (oh, size)
            } else {
                let ow = rawSize.map { Int($0 * Double(width) / Double(height)) } ?? Int(Double(size * width) / Double(height))
                return (size, ow)
            }
        }
    }
}
