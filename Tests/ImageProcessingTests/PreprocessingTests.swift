import Foundation
import Testing
@testable import ImageProcessing

/// transformers' PIL-backend image processors (CLIP, SigLIP, LLaVA) and original LLaVA's
/// expand2square, against what scripts/make_image_refs.py recorded.
@Suite struct PreprocessingTests {
    @Test("8-bit image and pixel values match transformers", arguments: Fixtures.manifest.preprocess)
    func matchesTransformers(_ c: Manifest.Preprocess) throws {
        let config = try ImageProcessorConfig.load(contentsOf: Fixtures.url(c.config))
        let preprocessor = try ImagePreprocessor(config: config, padToSquare: c.pad_to_square)
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url(c.image))

        let processed = preprocessor.processedImage(image)
        #expect(processed.width == c.width && processed.height == c.height,
                "\(c.name): \(processed.width)x\(processed.height), expected \(c.width)x\(c.height)")
        if let file = c.processed {
            let diff = ImageDiff(processed, try Fixtures.expectedImage(file))
            #expect(diff.identical, "\(c.name): \(diff)")
        }
        #expect(crc32(processed) == c.processed_crc32, "\(c.name): CRC of the 8-bit image differs")

        let values = preprocessor(image)
        #expect(values.shape == [3, c.height, c.width])
        #expect(preprocessor.outputSize(width: image.width, height: image.height) == (c.height, c.width))
        let tolerance: Float = 1e-5
        if let file = c.pixels {
            let (shape, expected) = try readNPY(Fixtures.url(file))
            #expect(shape == values.shape)
            var maxDiff: Float = 0
            for (a, b) in zip(values.data, expected) { maxDiff = max(maxDiff, abs(a - b)) }
            #expect(maxDiff <= tolerance, "\(c.name): max |diff| \(maxDiff)")
        }
        let s = c.pixel_stats
        var maxSampleDiff: Float = 0
        for sample in s.samples {
            maxSampleDiff = max(maxSampleDiff, abs(values.data[Int(sample[0])] - Float(sample[1])))
        }
        #expect(maxSampleDiff <= tolerance, "\(c.name): max |diff| at sampled points \(maxSampleDiff)")
        let sum = values.data.reduce(0.0) { $0 + Double($1) }
        #expect(abs(sum - s.sum) <= 1e-3 * max(1, abs(s.sum)) + 1e-2, "\(c.name): sum \(sum) vs \(s.sum)")
        #expect(Double(values.data.min()!) == Float(s.min).asDouble && Double(values.data.max()!) == Float(s.max).asDouble)
    }

    @Test func realCheckpointConfigsParseWithTransformersDefaults() throws {
        // openai/clip-vit-large-patch14-336: int sizes, feature_extractor_type, no do_rescale.
        let clip = try ImageProcessorConfig.load(contentsOf: Fixtures.url("configs/clip_vit_l_336.json"))
        #expect(clip.kind == .clip)
        #expect(clip.size == .shortestEdge(336))
        #expect(clip.cropSize == .init(height: 336, width: 336))
        #expect(clip.doRescale && clip.rescaleFactor == 1.0 / 255.0)
        #expect(clip.resample == 3 && clip.doCenterCrop && clip.doNormalize)
        // llava-interleave (SigLIP): exact size, no crop.
        let siglip = try ImageProcessorConfig.load(contentsOf: Fixtures.url("configs/siglip_384.json"))
        #expect(siglip.kind == .siglip && siglip.size == .exact(height: 384, width: 384) && !siglip.doCenterCrop)
        #expect(siglip.imageMean == [0.5, 0.5, 0.5] && siglip.doConvertRGB)  // null → default
        // Empty configs get the class defaults.
        let empty = try ImageProcessorConfig.decode(Data(#"{"image_processor_type": "SiglipImageProcessor"}"#.utf8), name: "x.json")
        #expect(empty == ImageProcessorConfig(kind: .siglip))
        let llava = try ImageProcessorConfig.decode(Data(#"{"image_processor_type": "LlavaImageProcessorFast"}"#.utf8), name: "x.json")
        #expect(llava.kind == .llava && !llava.doPad && llava.size == .shortestEdge(224))
        let list = try ImageProcessorConfig.decode(Data(#"{"size": [20, 30], "crop_size": [10, 12], "image_mean": 0.25}"#.utf8), name: "x.json")
        #expect(list.size == .exact(height: 20, width: 30) && list.cropSize == .init(height: 10, width: 12))
        #expect(list.imageMean == [0.25, 0.25, 0.25])
    }

    @Test func configRoundTripsThroughJSON() throws {
        for file in ["clip_vit_l_336", "siglip_384", "llava_pad_336", "clip_shortest_longest", "clip_no_rescale"] {
            let config = try ImageProcessorConfig.load(contentsOf: Fixtures.url("configs/\(file).json"))
            let again = try ImageProcessorConfig.decode(JSONEncoder().encode(config), name: file)
            #expect(again == config, "\(file)")
        }
    }

    @Test func badConfigsGiveOneLineErrorsNamingTheFile() {
        let cases: [(String, String)] = [
            (#"{"size": {"longest_edge": 3}}"#, "unsupported size"),
            (#"{"resample": 0}"#, "resample 0 is not supported"),
            (#"{"image_processor_type": "ViTImageProcessor"}"#, "unsupported image processor type"),
            (#"{"image_mean": [0.5, 0.5]}"#, "image_mean must have 3 values"),
            (#"{"do_resize": "yes"}"#, "field 'do_resize': expected Bool"),
            (#"{"resample": 2.5}"#, "field 'resample': expected Int"),
            (#"{"size": "big"}"#, "field 'size': expected an integer, a [height, width] list or an object"),
            (#"{"crop_size": {"height": 1.5, "width": 2}}"#, "field 'crop_size.height': expected Int"),
            (#"{"image_mean": "grey"}"#, "field 'image_mean': expected a list"),
            (#"{"size": "#, "not valid JSON"),
            (#"{"image_processor_type": "SiglipImageProcessor", "do_center_crop": true}"#, "crop_size is missing"),
        ]
        for (json, fragment) in cases {
            do {
                _ = try ImageProcessorConfig.decode(Data(json.utf8), name: "preprocessor_config.json")
                Issue.record("no error for \(json)")
            } catch let error as ImageError {
                #expect(error.kind == .invalidConfig)
                #expect(error.description.hasPrefix("preprocessor_config.json: "), "\(error)")
                #expect(error.description.contains(fragment), "\(error)")
                #expect(!error.description.contains("\n"))
            } catch {
                Issue.record("not an ImageError: \(error)")
            }
        }
    }

    @Test func resizeOutputSizes() {
        // get_resize_output_image_size(default_to_square=False): int(size * long / short).
        #expect(ImageProcessorConfig.Size.shortestEdge(336).outputSize(height: 768, width: 1024) == (336, 448))
        #expect(ImageProcessorConfig.Size.shortestEdge(336).outputSize(height: 640, width: 427) == (503, 336))
        #expect(ImageProcessorConfig.Size.shortestEdge(224).outputSize(height: 100, width: 100) == (224, 224))
        #expect(ImageProcessorConfig.Size.shortestAndLongestEdge(shortest: 48, longest: 60).outputSize(height: 400, width: 600) == (40, 60))
    }

    @Test func degenerateInputsDoNotTrap() throws {
        let config = try ImageProcessorConfig.decode(Data(#"{"size": {"shortest_edge": 4, "longest_edge": 6}, "do_center_crop": false}"#.utf8), name: "x")
        let preprocessor = try ImagePreprocessor(config: config)
        let line = RGBImage(width: 1000, height: 1, fill: (200, 100, 50))
        #expect(preprocessor(line).shape == [3, 1, 6])
        let empty = RGBImage(width: 0, height: 0, pixels: [])
        #expect(preprocessor(empty).shape.allSatisfy { $0 >= 1 })
        let clip = try ImagePreprocessor(config: ImageProcessorConfig(kind: .clip), padToSquare: true)
        #expect(clip(line).shape == [3, 224, 224])
        #expect(clip(empty).shape == [3, 224, 224])
    }

    @Test func padToSquareMatchesExpand2square() {
        #expect(PadToSquare.background(forMean: ImageProcessorConfig.openAIClipMean) == (122, 116, 104))
        let wide = RGBImage(width: 4, height: 1, fill: (9, 9, 9))
        let padded = PadToSquare.pad(wide, background: (1, 2, 3))
        #expect(padded.width == 4 && padded.height == 4)
        // Pasted at row (4 - 1) // 2 = 1.
        #expect(padded[0, 0] == (1, 2, 3) && padded[3, 1] == (9, 9, 9) && padded[0, 2] == (1, 2, 3) && padded[2, 3] == (1, 2, 3))
        let tall = PadToSquare.pad(RGBImage(width: 2, height: 5, fill: (9, 9, 9)), background: (1, 2, 3))
        // Pasted at column (5 - 2) // 2 = 1.
        #expect(tall[0, 0] == (1, 2, 3) && tall[1, 0] == (9, 9, 9) && tall[2, 4] == (9, 9, 9) && tall[3, 4] == (1, 2, 3))
    }
}

private extension Float {
    var asDouble: Double { Double(self) }
}
