import Foundation
import Testing
import ImageProcessing

/// Timing, not a test: runs only when VLM_IMAGE_BENCH names a JPEG (e.g. the 1024x768 one
/// `scripts/make_image_refs.py --bench-image PATH` writes). Use a release build:
///
///     swift build -c release --build-tests -Xswiftc -enable-testing
///     VLM_IMAGE_BENCH=/tmp/bench_1024x768.jpg swift test -c release -Xswiftc -enable-testing \
///         --skip-build --filter ImageProcessingTests.Benchmark
///
/// Prints the median and the best of 21 runs; on a shared machine the best is the steadier.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["VLM_IMAGE_BENCH"] != nil))
struct Benchmark {
    @Test func decodeAndPreprocess() throws {
        let url = URL(fileURLWithPath: ProcessInfo.processInfo.environment["VLM_IMAGE_BENCH"]!)
        let clip = try ImagePreprocessor(config: ImageProcessorConfig.load(contentsOf: Fixtures.url("configs/llava15_clip_336.json")))
        let siglip = try ImagePreprocessor(config: ImageProcessorConfig.load(contentsOf: Fixtures.url("configs/siglip_384.json")))
        let pad = try ImagePreprocessor(config: ImageProcessorConfig.load(contentsOf: Fixtures.url("configs/llava15_clip_336.json")), padToSquare: true)

        func median(_ runs: Int, _ body: () throws -> Void) rethrows -> String {
            var times = [Double]()
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            return String(format: "%6.2f ms (best %6.2f)", times[runs / 2], times[0])
        }
        var image = try ImageDecoder.decode(contentsOf: url)
        let decode = try median(21) { image = try ImageDecoder.decode(contentsOf: url) }
        var values = clip(image)
        let clipTime = median(21) { values = clip(image) }
        let siglipTime = median(21) { values = siglip(image) }
        let padTime = median(21) { values = pad(image) }
        var small = image
        let resizeTime = median(21) { small = PILResample.resize(image, width: 448, height: 336, filter: .bicubic) }
        let normTime = median(21) { values = clip.pixelValues(fromProcessed: small) }
        let total = try median(21) { values = clip(try ImageDecoder.decode(contentsOf: url)) }
        print("""
            image \(url.lastPathComponent) \(image.width)x\(image.height), median of 21 runs:
              decode JPEG                    \(decode)
              CLIP 336 (resize+crop+norm)    \(clipTime)
              SigLIP 384                     \(siglipTime)
              expand2square + CLIP 336       \(padTime)
              PIL bicubic to 448x336 only    \(resizeTime)
              rescale+normalize 448x336      \(normTime)
              decode + CLIP 336              \(total)  → \(values.shape)
            """)
    }
}

