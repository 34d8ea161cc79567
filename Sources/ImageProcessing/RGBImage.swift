/// An 8-bit RGB image: what `PIL.Image.open(f).convert("RGB")` holds, as a flat array.
///
/// `pixels` is row-major and interleaved (`R, G, B` for pixel (0, 0), then (1, 0), ...), so
/// pixel (x, y) channel c is `pixels[(y * width + x) * 3 + c]`, the same layout as
/// `numpy.asarray(pil_image)` (shape [height, width, 3]).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// - Precondition: `width >= 0`, `height >= 0`, `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        precondition(pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image of one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8)) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = fill.0
            pixels[i + 1] = fill.1
            pixels[i + 2] = fill.2
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The colour at (x, y).
    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

/// Float32 pixel values in CHW order, shape [3, height, width]: the `pixel_values` of one
/// image that a transformers image processor returns (without the batch dimension).
public struct PixelValues: Sendable, Equatable {
    public static let channels = 3
    public let height: Int
    public let width: Int
    /// `data[(c * height + y) * width + x]`.
    public var data: [Float]

    public init(height: Int, width: Int, data: [Float]) {
        precondition(data.count == PixelValues.channels * height * width,
                     "PixelValues: \(data.count) values for 3x\(height)x\(width)")
        self.height = height
        self.width = width
        self.data = data
    }

    /// [channels, height, width].
    public var shape: [Int] { [PixelValues.channels, height, width] }
}
