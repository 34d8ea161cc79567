// Timing of the ImageProcessing target in a release build (it was a test that only printed times):
// scripts/benchmark_images.sh compiles this file together with Sources/ImageProcessing/*.swift.
// Decodes and preprocesses one JPEG (e.g. the 1024x768 one `scripts/make_image_refs.py --bench-image
// PATH` writes) with the CLIP-336, SigLIP-384 and padded CLIP-336 settings of the test fixtures, and
// prints the median and the best of 21 runs of each stage; on a shared machine the best is the steadier.

import Foundation

@main
struct ImageBenchmark {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 3 else {
            FileHandle.standardError.write(Data("usage: image-benchmark IMAGE.jpg CONFIG_DIR\n".utf8))
            exit(2)
        }
        let url = URL(fileURLWithPath: arguments[1])
        let configs = URL(fileURLWithPath: arguments[2])
        func config(_ name: String) throws -> ImageProcessorConfig {
            try ImageProcessorConfig.load(contentsOf: configs.appendingPathComponent(name))
        }
        let clip = try ImagePreprocessor(config: config("llava15_clip_336.json"))
        let siglip = try ImagePreprocessor(config: config("siglip_384.json"))
        let pad = try ImagePreprocessor(config: config("llava15_clip_336.json"), padToSquare: true)

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
