import Foundation
import ImageProcessing

/// Image files to vision features: decoding, preprocessing (crops with AnyRes), the tower.
extension VisionLanguageModel {
    /// One image file → its (possibly reduced) vision features, one entry per crop.
    func encodeImage(_ path: String, reduction: VisualTokenReduction, timings: inout Timings) throws -> [EncodedImage] {
        guard let imageEncoder, let imagePreprocessor else {
            throw EngineError.invalidArgument("\(directory) is a text-only model; it cannot take images")
        }
        let crops = try measure(&timings.imagePreprocess) { () throws -> [PixelValues] in
            // The original repository opens images without applying EXIF orientation.
            let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path), applyEXIFOrientation: imageAspectRatio == nil)
            return try imageAspectRatio?.process(image, processor: imagePreprocessor) ?? [imagePreprocessor(image)]
        }
        let vision = imageEncoder.vision
        return try crops.map { pixels in
            guard pixels.height == vision.imageSize, pixels.width == vision.imageSize else {
                throw EngineError.unsupportedModel(
                    "the image preprocessor makes \(pixels.width)×\(pixels.height) images but the vision tower takes \(vision.imageSize)×\(vision.imageSize)")
            }
            return try measure(&timings.visionTower) {
                try pixels.data.withUnsafeBufferPointer { try imageEncoder.encode(pixels: $0.baseAddress!, reduction: reduction) }
            }
        }
    }
}
