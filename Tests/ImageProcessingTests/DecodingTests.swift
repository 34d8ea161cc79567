import Foundation
import Testing
@testable import ImageProcessing
import TestSupport

/// Decoding against Pillow: `load_image` (EXIF transpose + convert("RGB")) and plain
/// `Image.open(f).convert("RGB")`, on the fixtures scripts/make_image_refs.py wrote.
@Suite struct DecodingTests {
    @Test("decoded pixels identical to Pillow's load_image", arguments: Fixtures.manifest.decode)
    func matchesPillow(_ c: Manifest.Decode) throws {
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url("images/\(c.file)"))
        #expect(image.width == c.width && image.height == c.height,
                "\(c.file): \(image.width)x\(image.height), Pillow \(c.width)x\(c.height)")
        let expected = try Fixtures.expectedImage(c.expected)
        #expect(crc32(expected) == c.crc32, "expected PNG \(c.expected) does not match its recorded CRC")
        let diff = ImageDiff(image, expected)
        #expect(diff.identical, "\(c.file) [\(c.pil_mode)]: \(diff)")
        #expect(crc32(image) == c.crc32)
    }

    @Test("without EXIF orientation: Image.open(f).convert(\"RGB\")", arguments: Fixtures.manifest.decode)
    func matchesPillowWithoutOrientation(_ c: Manifest.Decode) throws {
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url("images/\(c.file)"), applyEXIFOrientation: false)
        #expect(image.width == c.no_exif_width && image.height == c.no_exif_height)
        #expect(crc32(image) == c.crc32_no_exif, "\(c.file)")
    }

    @Test("broken files throw a one-line error naming the file", arguments: Fixtures.manifest.errors)
    func brokenFiles(_ c: Manifest.Failure) {
        do {
            let image = try ImageDecoder.decode(contentsOf: Fixtures.url("images/\(c.file)"))
            Issue.record("\(c.file) decoded to \(image.width)x\(image.height); Pillow: \(c.pil_error)")
        } catch let error as ImageError {
            let text = error.description
            #expect(error.kind.rawValue == c.kind, "\(text)")
            #expect(text.hasPrefix("\(c.file): "), "\(text)")
            #expect(!text.contains("\n"))
        } catch {
            Issue.record("not an ImageError: \(error)")
        }
    }

    @Test func missingFileAndDirectory() {
        let missing = Fixtures.url("images/no_such_file.jpg")
        #expect(throws: ImageError(.unreadable, file: "no_such_file.jpg", "no such file")) {
            try ImageDecoder.decode(contentsOf: missing)
        }
        #expect(throws: ImageError(.unreadable, file: "images", "is a directory")) {
            try ImageDecoder.decode(contentsOf: Fixtures.url("images"))
        }
    }

    @Test func formatComesFromBytesNotExtension() throws {
        let data = try Data(contentsOf: Fixtures.url("images/coffee_rgb8.png"))
        let image = try ImageDecoder.decode(data: data, name: "actually_a_png.jpg")
        #expect(image.width == 97 && image.height == 64)
        #expect(try ImageDecoder.detectFormat(data, name: "x") == .png)
    }

    @Test func pixelLimitIsCheckedBeforeDecoding() throws {
        let url = Fixtures.url("images/astronaut_baseline.jpg")
        #expect(throws: ImageError.self) { try ImageDecoder.decode(contentsOf: url, maxPixels: 256 * 256 - 1) }
        #expect(try ImageDecoder.decode(contentsOf: url, maxPixels: 256 * 256).width == 256)
        let png = Fixtures.url("images/coffee_rgb8.png")
        do {
            _ = try ImageDecoder.decode(contentsOf: png, maxPixels: 100)
            Issue.record("no error")
        } catch let error as ImageError {
            #expect(error.kind == .tooLarge)
            #expect(error.description.hasPrefix("coffee_rgb8.png: PNG image is 97x64"))
        }
    }

    /// Every prefix of a JPEG and a PNG: an error, or (when only the trailer is missing, which
    /// Pillow accepts too) exactly the full image; never a crash, never garbage.
    @Test func everyTruncationIsSafe() throws {
        for file in ["orientation_6.jpg", "coffee_progressive.jpg", "chelsea_exif6.png", "camera_gray4.png", "chelsea_interlaced.png"] {
            let data = try Data(contentsOf: Fixtures.url("images/\(file)"))
            let full = try ImageDecoder.decode(data: data, name: file)
            var decoded = 0
            for length in stride(from: 0, to: data.count, by: max(1, data.count / 400)) {
                guard let image = try? ImageDecoder.decode(data: data.prefix(length), name: file) else { continue }
                decoded += 1
                #expect(image == full, "\(file): the first \(length) of \(data.count) bytes decode to a different image")
            }
            #expect(decoded <= 12, "\(file): \(decoded) prefixes decoded")
        }
    }

    /// Random byte flips in the data: an error or an image, never a crash. Seeded, so a flip
    /// that crashed would crash again on the next run.
    @Test func corruptedBytesAreSafe() throws {
        var generator = SeededGenerator(seed: 0x5EED_0FB1_7EF1_1B00)
        for file in ["astronaut_baseline.jpg", "coffee_progressive.jpg", "chelsea_interlaced.png", "coffee_palette4.png"] {
            let original = try Data(contentsOf: Fixtures.url("images/\(file)"))
            for _ in 0..<40 {
                var data = original
                for _ in 0..<8 {
                    let i = Int.random(in: 2..<data.count, using: &generator)
                    data[i] = UInt8.random(in: 0...255, using: &generator)
                }
                _ = try? ImageDecoder.decode(data: data, name: file)
            }
        }
    }
}
