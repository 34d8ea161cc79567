import Foundation
import ImageProcessing
import Tensor

/// Where an image comes from: a file, or bytes already in memory (a data URL's payload).
public enum ImageInput: Sendable, Hashable {
    case file(String)
    case encoded(Data, name: String)

    /// How errors name it: the path as given, or the name the caller chose.
    public var name: String {
        switch self {
        case let .file(path): path
        case let .encoded(_, name): name
        }
    }
}

/// One crop of an image as the LLM receives it: projected rows, and with DyMU the row each
/// unmerged position belongs to.
public struct ProjectedCrop: Sendable {
    public let embeddings: Matrix      // [M, D]
    public let virtualRows: [Int32]?   // [unmerged positions], rows of `embeddings`
    /// Tokens after each tower block that ran (DyMU), class token included.
    public let tokensPerLayer: [Int]
}

/// Images to LLM rows: decoding, preprocessing (crops with AnyRes), the tower with the chosen
/// method, the projector.
extension VisionLanguageModel {
    /// Decodes an image as the checkpoint's processor opens it.
    public func decodeImage(_ input: ImageInput) throws -> RGBImage {
        // The original repository opens images without applying EXIF orientation.
        let orientation = imageAspectRatio == nil
        switch input {
        case let .file(path): return try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path), applyEXIFOrientation: orientation)
        case let .encoded(data, name): return try ImageDecoder.decode(data: data, name: name, applyEXIFOrientation: orientation)
        }
    }

    /// A decoded image → its projected rows, one entry per crop. `proxyV`: the request runs
    /// ProxyV's layers, which need every crop's full grid.
    public func encodeImage(_ image: RGBImage, reduction: VisualTokenReduction, proxyV: Bool,
                            timings: inout Timings) throws -> [ProjectedCrop] {
        guard let imageEncoder, let imagePreprocessor else {
            throw EngineError.invalidArgument("\(directory) is a text-only model; it cannot take images")
        }
        let crops = try measure(&timings.imagePreprocess) { () throws -> [PixelValues] in
            try imageAspectRatio?.process(image, processor: imagePreprocessor) ?? [imagePreprocessor(image)]
        }
        let proxyV = proxyV ? languageModel.proxyV : nil
        if crops.count > 1 && proxyV == nil {
            throw EngineError.unsupportedModel(
                "\(directory): AnyRes crops without ProxyV need LLaVA-NeXT's spatial_unpad packing, which is not supported")
        }
        let vision = imageEncoder.vision
        return try crops.map { pixels in
            guard pixels.height == vision.imageSize, pixels.width == vision.imageSize else {
                throw EngineError.unsupportedModel(
                    "the image preprocessor makes \(pixels.width)×\(pixels.height) images but the vision tower takes \(vision.imageSize)×\(vision.imageSize)")
            }
            let encoded = try measure(&timings.visionTower) {
                try pixels.data.withUnsafeBufferPointer { try imageEncoder.encode(pixels: $0.baseAddress!, reduction: reduction) }
            }
            let projected = measure(&timings.projector) { imageEncoder.project(encoded.features) }
            if let proxyV, projected.rows != proxyV.tokensPerCrop {
                throw EngineError.unsupportedModel(
                    "ProxyV needs \(proxyV.tokensPerCrop) visual tokens per crop but the image gave \(projected.rows); use it without token reduction")
            }
            return ProjectedCrop(embeddings: projected, virtualRows: encoded.virtualRows, tokensPerLayer: encoded.tokensPerLayer)
        }
    }
}
