import Foundation
import Testing
@testable import ImageProcessing

/// What scripts/make_anyres_refs.py recorded from the original llava/mm_utils.py functions
/// (ProxyV's copy, checked there against haotian-liu/LLaVA's) with Pillow and transformers'
/// PIL-backend CLIPImageProcessor.
struct AnyResManifest: Decodable, Sendable {
    struct Crop: Decodable, Sendable {
        let sha256: String
        let sum: Double
        let sum_squares: Double
        let min: Double
        let max: Double
        let samples: [[Double]]  // [flat index, value]
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let image: String
        let config: String
        let image_aspect_ratio: String
        let width: Int
        let height: Int
        let image_crc32: UInt32
        let grid_pinpoints: [[Int]]?
        let best_resolution: [Int]?
        let grid_shape: [Int]?
        let padded_crc32: UInt32?
        let inputs_crc32: [UInt32]?
        let crops: [Crop]
        let shape: [Int]
        let pixels: String?
        var testDescription: String { name }
    }

    struct BestResolutions: Decodable, Sendable {
        let pinpoints: [[Int]]
        let cases: [[Int?]]  // width, height, best width, best height (nil, nil: None)
        enum CodingKeys: String, CodingKey {
            case pinpoints
            case cases = "cases (width, height, best width, best height)"
        }
    }

    struct Placements: Decodable, Sendable {
        let target: [Int]
        let cases: [[Int]]  // width, height, paste x, paste y, new width, new height
        enum CodingKeys: String, CodingKey {
            case target
            case cases = "cases (width, height, paste x, paste y, new width, new height)"
        }
    }

    struct PinpointString: Decodable, Sendable {
        let text: String
        let patch_size: Int
        let pinpoints: [[Int]]
        let grid_shape_901x300: [Int]?
    }

    let cases: [Case]
    let best_resolution: [BestResolutions]
    let resize_and_pad: [Placements]
    let pinpoint_strings: [PinpointString]
    let resize: [[ResizeField]]

    /// One field of a `[image, filter, width, height, crc32]` row.
    enum ResizeField: Decodable, Sendable {
        case text(String)
        case number(Int)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
        }
        var text: String { if case .text(let t) = self { t } else { "" } }
        var number: Int { if case .number(let n) = self { n } else { -1 } }
    }

    enum CodingKeys: String, CodingKey {
        case cases, best_resolution, resize_and_pad, pinpoint_strings
        case resize = "resize (image, filter, width, height, crc32)"
    }

    static let shared: AnyResManifest = {
        let data = try! Data(contentsOf: Fixtures.url("anyres/anyres.json"))
        return try! JSONDecoder().decode(AnyResManifest.self, from: data)
    }()
}

@Suite struct AnyResTests {
    typealias Resolution = AnyResCrops.Resolution

    /// Every case through `ImageAspectRatio.process`: the chosen grid, the 8-bit images given to
    /// the processor, and the pixel values (SHA-256 of the float32 bytes, statistics, and the
    /// whole array for the 16-px cases).
    @Test("pixel values match the original process_images", arguments: AnyResManifest.shared.cases)
    func matchesOriginal(_ c: AnyResManifest.Case) throws {
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url("anyres/\(c.image)"), applyEXIFOrientation: false)
        #expect(image.width == c.width && image.height == c.height)
        try #require(crc32(image) == c.image_crc32, "\(c.name): the decoded input differs from Pillow's")
        let config = try ImageProcessorConfig.load(contentsOf: Fixtures.url("anyres/\(c.config)"))
        let processor = try ImagePreprocessor(config: config)
        let mode = try ImageAspectRatio(configValue: c.image_aspect_ratio, gridPinpoints: c.grid_pinpoints)

        if let pinpoints = c.grid_pinpoints, let best = c.best_resolution, let shape = c.grid_shape {
            let candidates = try AnyResCrops.resolutions(pinpoints)
            let size = Resolution(width: image.width, height: image.height)
            #expect(AnyResCrops.bestResolution(original: size, candidates: candidates) == Resolution(width: best[0], height: best[1]))
            let grid = AnyResCrops.gridShape(imageSize: size, candidates: candidates, patchSize: config.cropSize!.height)
            #expect(grid?.columns == shape[0] && grid?.rows == shape[1])
            let padded = AnyResCrops.resizeAndPad(image, to: Resolution(width: best[0], height: best[1]))
            #expect(crc32(padded) == c.padded_crc32, "\(c.name): resized and padded image differs")
            let inputs = try AnyResCrops.images(image, candidates: candidates, patchSize: config.cropSize!.height,
                                                baseSize: try AnyResCrops.baseSize(config))
            #expect(inputs.map(crc32) == c.inputs_crc32, "\(c.name): 8-bit base image / crops differ")
        }

        let values = try mode.process(image, processor: processor)
        try #require(values.count == c.shape[0], "\(c.name): \(values.count) images, expected \(c.shape[0])")
        let full = try c.pixels.map { try readNPY(Fixtures.url("anyres/\($0)")) }
        if let full { #expect(full.shape == c.shape) }
        let plane = c.shape[1...].reduce(1, *)
        for (i, (v, expected)) in zip(values, c.crops).enumerated() {
            #expect(v.shape == Array(c.shape[1...]), "\(c.name) crop \(i)")
            let sha = SHA256.hex(v.data)
            var maxDiff: Float = 0
            if let full {
                for (a, b) in zip(v.data, full.values[(i * plane)..<((i + 1) * plane)]) { maxDiff = Swift.max(maxDiff, abs(a - b)) }
            }
            for s in expected.samples { maxDiff = Swift.max(maxDiff, abs(v.data[Int(s[0])] - Float(s[1]))) }
            #expect(sha == expected.sha256, "\(c.name) crop \(i): float32 bytes differ (max |diff| at compared points \(maxDiff))")
            #expect(maxDiff <= 1e-6, "\(c.name) crop \(i): max |diff| \(maxDiff)")
            let sum = v.data.reduce(0.0) { $0 + Double($1) }
            let squares = v.data.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(sum - expected.sum) <= 1e-6 * Swift.max(1, abs(expected.sum)), "\(c.name) crop \(i): sum \(sum) vs \(expected.sum)")
            #expect(abs(squares - expected.sum_squares) <= 1e-6 * expected.sum_squares, "\(c.name) crop \(i): sum of squares")
            #expect(v.data.min()! == Float(expected.min) && v.data.max()! == Float(expected.max), "\(c.name) crop \(i): min / max")
        }
    }

    @Test func bestResolutionOnManySizes() throws {
        var checked = 0
        for group in AnyResManifest.shared.best_resolution {
            let candidates = try AnyResCrops.resolutions(group.pinpoints)
            for row in group.cases {
                let expected = row[2].map { Resolution(width: $0, height: row[3]!) }
                let got = AnyResCrops.bestResolution(original: Resolution(width: row[0]!, height: row[1]!), candidates: candidates)
                #expect(got == expected, "\(row[0]!)x\(row[1]!) in \(group.pinpoints)")
                checked += 1
            }
        }
        #expect(checked > 1000)
    }

    @Test func resizeAndPadPlacementOnManySizes() {
        var checked = 0
        for group in AnyResManifest.shared.resize_and_pad {
            let target = Resolution(width: group.target[0], height: group.target[1])
            for row in group.cases {
                let p = AnyResCrops.resizedPlacement(original: Resolution(width: row[0], height: row[1]), target: target)
                #expect([p.x, p.y, p.width, p.height] == Array(row[2...]), "\(row[0])x\(row[1]) into \(target)")
                checked += 1
            }
        }
        #expect(checked > 700)
        // The canvas is black around the pasted image.
        let white = RGBImage(width: 30, height: 10, fill: (255, 255, 255))
        let padded = AnyResCrops.resizeAndPad(white, to: Resolution(width: 40, height: 20))
        #expect(padded.width == 40 && padded.height == 20)
        #expect(padded[0, 0] == (0, 0, 0) && padded[20, 10] == (255, 255, 255) && padded[20, 19] == (0, 0, 0))
    }

    @Test func pinpointStringsParseAsProxyV() throws {
        for c in AnyResManifest.shared.pinpoint_strings {
            let pinpoints = try AnyResCrops.gridPinpoints(parsing: c.text, patchSize: c.patch_size)
            #expect(pinpoints == c.pinpoints, "\(c.text) at \(c.patch_size)")
            let shape = pinpoints.isEmpty ? nil
                : AnyResCrops.gridShape(imageSize: Resolution(width: 901, height: 300),
                                        candidates: try AnyResCrops.resolutions(pinpoints), patchSize: c.patch_size)
            #expect(shape.map { [$0.columns, $0.rows] } == c.grid_shape_901x300, "\(c.text)")
        }
        expectImageError { _ = try AnyResCrops.gridPinpoints(parsing: "(1x)", patchSize: 336) }
        expectImageError { _ = try AnyResCrops.gridPinpoints(parsing: "[(336, 672), (672)]", patchSize: 336) }
    }

    @Test func patchesAreRasterOrderAndBlackPastTheEdge() {
        // 5x3 image whose pixel (x, y) is (x, y, 7); 2-px patches: 3 columns x 2 rows.
        var pixels: [UInt8] = []
        for y in 0..<3 { for x in 0..<5 { pixels += [UInt8(x), UInt8(y), 7] } }
        let patches = AnyResCrops.divideToPatches(RGBImage(width: 5, height: 3, pixels: pixels), patchSize: 2)
        #expect(patches.count == 6)
        #expect(patches[1][0, 0] == (2, 0, 7) && patches[3][0, 0] == (0, 2, 7))
        #expect(patches[2][0, 0] == (4, 0, 7) && patches[2][1, 0] == (0, 0, 0))  // past the right edge
        #expect(patches[5][0, 0] == (4, 2, 7) && patches[5][0, 1] == (0, 0, 0) && patches[5][1, 1] == (0, 0, 0))
    }

    @Test func configsTheOriginalCannotUseAreErrorsNotCrashes() throws {
        let clip = try ImageProcessorConfig.load(contentsOf: Fixtures.url("anyres/configs/clip_vit_l_336.json"))
        let processor = try ImagePreprocessor(config: clip)
        let image = RGBImage(width: 40, height: 30, fill: (10, 20, 30))
        expectImageError { _ = try AnyResCrops.process(image, processor: processor, gridPinpoints: []) }
        expectImageError { _ = try AnyResCrops.process(image, processor: processor, gridPinpoints: [[336]]) }
        expectImageError { _ = try AnyResCrops.process(image, processor: processor, gridPinpoints: [[0, 336]]) }
        // So thin that every candidate keeps no pixel: effective resolution 0 everywhere, and the
        // first candidate still wins (0 wasted < inf), as in the original.
        let thin = RGBImage(width: 2000, height: 1, fill: (1, 2, 3))
        let candidates = [Resolution(width: 336, height: 336), Resolution(width: 672, height: 336)]
        #expect(AnyResCrops.bestResolution(original: Resolution(width: 2000, height: 1), candidates: candidates) == candidates[0])
        #expect(AnyResCrops.bestResolution(original: Resolution(width: 2000, height: 1), candidates: []) == nil)
        #expect(try AnyResCrops.process(thin, processor: processor, gridPinpoints: [[336, 336]]).count == 2)
        // SigLIP-style exact size: no shortest_edge for the base image.
        let siglip = try ImagePreprocessor(config: ImageProcessorConfig(kind: .siglip))
        expectImageError { _ = try AnyResCrops.process(image, processor: siglip, gridPinpoints: [[224, 448]]) }
        // image_aspect_ratio values.
        #expect(try ImageAspectRatio(configValue: nil, gridPinpoints: nil) == .processorOnly)
        #expect(try ImageAspectRatio(configValue: "square", gridPinpoints: nil) == .processorOnly)
        #expect(try ImageAspectRatio(configValue: "pad", gridPinpoints: nil) == .pad)
        #expect(try ImageAspectRatio(configValue: "anyres_max_9", gridPinpoints: [[336, 672]]) == .anyres(gridPinpoints: [[336, 672]]))
        expectImageError { _ = try ImageAspectRatio(configValue: "anyres", gridPinpoints: nil) }
        expectImageError { _ = try ImageAspectRatio(configValue: "highres", gridPinpoints: [[336, 672]]) }
    }

    /// PIL.Image.resize where Pillow 13 runs the vertical pass first, and the borders of that rule.
    @Test func resizeFollowsPillow13PassOrder() throws {
        var images: [String: RGBImage] = [:]
        for row in AnyResManifest.shared.resize {
            let file = row[0].text
            if images[file] == nil {
                images[file] = try ImageDecoder.decode(contentsOf: Fixtures.url("anyres/\(file)"), applyEXIFOrientation: false)
            }
            let filter = try #require(ResampleFilter(rawValue: row[1].number))
            let out = PILResample.resize(images[file]!, width: row[2].number, height: row[3].number, filter: filter)
            #expect(crc32(out) == UInt32(row[4].number), "\(file) \(filter) \(row[2].number)x\(row[3].number)")
        }
        // Pillow 12.0.0 and 10.3.0 (horizontal pass always first) on the same image, bicubic.
        let tall = try ImageDecoder.decode(contentsOf: Fixtures.url("anyres/images/tall_300x901.jpg"), applyEXIFOrientation: false)
        let pillow12: [(Int, Int, UInt32)] = [(16, 48, 2598848805), (19, 56, 2488589811), (16, 16, 2571895692),
                                              (112, 336, 1322759078), (5, 16, 992127251)]
        for (w, h, expected) in pillow12 {
            let old = PILResample.resize(tall, width: w, height: h, filter: .bicubic, passOrder: .horizontalFirst)
            #expect(crc32(old) == expected, "\(w)x\(h) horizontal first")
            #expect(crc32(PILResample.resize(tall, width: w, height: h, filter: .bicubic)) != expected, "\(w)x\(h): the orders differ here")
        }
    }

    @Test func sha256MatchesKnownDigests() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

/// Records an issue unless `body` throws an `ImageError` (without printing what it returned).
func expectImageError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected an ImageError, nothing was thrown", sourceLocation: sourceLocation)
    } catch is ImageError {
    } catch {
        Issue.record("expected an ImageError, got \(error)", sourceLocation: sourceLocation)
    }
}
