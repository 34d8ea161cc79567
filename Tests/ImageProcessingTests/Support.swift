import Foundation
import Testing
@testable import ImageProcessing

/// The fixtures made by scripts/make_image_refs.py, and helpers to compare against them.
enum Fixtures {
    static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: url("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    /// An expected 8-bit image (stored as an RGB PNG written by Pillow).
    static func expectedImage(_ relative: String) throws -> RGBImage {
        try ImageDecoder.decode(contentsOf: url(relative), applyEXIFOrientation: false)
    }
}

struct Manifest: Decodable, Sendable {
    struct Decode: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let note: String
        let pil_mode: String
        let width: Int
        let height: Int
        let crc32: UInt32
        let crc32_no_exif: UInt32
        let no_exif_width: Int
        let no_exif_height: Int
        let expected: String
        var testDescription: String { "\(file) (\(note))" }
    }

    struct Failure: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let kind: String
        let pil_error: String
        var testDescription: String { "\(file) → \(kind)" }
    }

    struct Stats: Decodable, Sendable {
        let sum: Double
        let sum_squares: Double
        let min: Double
        let max: Double
        let samples: [[Double]]  // [flat index, value]
    }

    struct Preprocess: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let config: String
        let image: String
        let pad_to_square: Bool?
        let height: Int
        let width: Int
        let processed_crc32: UInt32
        let processed: String?
        let pixels: String?
        let pixel_stats: Stats
        var testDescription: String { name }
    }

    struct Resample: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let image: String
        let filter: Int
        let width: Int
        let height: Int
        let crc32: UInt32
        let expected: String?
        var testDescription: String { name }
    }

    let decode: [Decode]
    let errors: [Failure]
    let preprocess: [Preprocess]
    let resample: [Resample]
}

/// How two 8-bit images differ.
struct ImageDiff: CustomStringConvertible {
    var sameSize: Bool
    var differingPixels = 0
    var maxDiff = 0
    var firstDifference: (x: Int, y: Int)?

    init(_ a: RGBImage, _ b: RGBImage) {
        sameSize = a.width == b.width && a.height == b.height
        guard sameSize else { return }
        for p in 0..<(a.width * a.height) {
            var pixelDiffers = false
            for c in 0..<3 {
                let d = abs(Int(a.pixels[3 * p + c]) - Int(b.pixels[3 * p + c]))
                if d > 0 { pixelDiffers = true; maxDiff = max(maxDiff, d) }
            }
            if pixelDiffers {
                if firstDifference == nil { firstDifference = (p % a.width, p / a.width) }
                differingPixels += 1
            }
        }
    }

    var identical: Bool { sameSize && differingPixels == 0 }

    var description: String {
        guard sameSize else { return "sizes differ" }
        if differingPixels == 0 { return "identical" }
        return "\(differingPixels) pixels differ, max diff \(maxDiff), first at \(firstDifference!)"
    }
}

/// A float32 C-order .npy file (numpy's format 1.0 / 2.0 header).
func readNPY(_ url: URL) throws -> (shape: [Int], values: [Float]) {
    let data = try Data(contentsOf: url)
    let bytes = [UInt8](data)
    precondition(bytes.starts(with: [0x93] + Array("NUMPY".utf8)), "not an npy file: \(url.lastPathComponent)")
    let major = bytes[6]
    let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
        : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
    let headerStart = major == 1 ? 10 : 12
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    precondition(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"), header)
    let shapeText = header.split(separator: "(", maxSplits: 1)[1].split(separator: ")")[0]
    let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let start = headerStart + headerLength
    let count = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBytes { out in
        bytes.withUnsafeBytes { raw in
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4 * count)]))
        }
    }
    return (shape, values)
}

/// CRC-32 of an image's RGB bytes (zlib.crc32 in the script).
func crc32(_ image: RGBImage) -> UInt32 { CRC32.checksum(image.pixels) }
