import Foundation
import Testing
@testable import ImageProcessing

/// `PIL.Image.resize` with each filter, up and down, one pass and two.
@Suite struct ResampleTests {
    @Test("identical to PIL.Image.resize", arguments: Fixtures.manifest.resample)
    func matchesPillow(_ c: Manifest.Resample) throws {
        let source = try ImageDecoder.decode(contentsOf: Fixtures.url(c.image))
        let filter = try #require(ResampleFilter(rawValue: c.filter))
        let resized = PILResample.resize(source, width: c.width, height: c.height, filter: filter)
        #expect(resized.width == c.width && resized.height == c.height)
        if let expectedFile = c.expected {
            let diff = ImageDiff(resized, try Fixtures.expectedImage(expectedFile))
            #expect(diff.identical, "\(c.name): \(diff)")
        }
        #expect(crc32(resized) == c.crc32, "\(c.name): CRC differs")
    }

    @Test func sameSizeIsACopy() throws {
        let source = try ImageDecoder.decode(contentsOf: Fixtures.url("images/coffee_rgb8.png"))
        #expect(PILResample.resize(source, width: source.width, height: source.height, filter: .bicubic) == source)
    }

    /// The bicubic kernel (a = -0.5) and its fixed-point weights sum to about one.
    @Test func bicubicWeights() {
        #expect(ResampleFilter.bicubic.weight(0) == 1)
        #expect(ResampleFilter.bicubic.weight(1) == 0)
        #expect(ResampleFilter.bicubic.weight(2) == 0)
        #expect(ResampleFilter.bicubic.weight(0.5) == 0.5625)
        #expect(ResampleFilter.bicubic.weight(1.5) == -0.0625)
        let c = PILResample.Coefficients(inSize: 1000, outSize: 336, filter: .bicubic)
        for xx in [0, 100, 335] {
            let sum = c.weights[(xx * c.ksize)..<((xx + 1) * c.ksize)].reduce(0, +)
            #expect(abs(Int(sum) - (1 << 22)) <= c.ksize)
        }
    }
}
