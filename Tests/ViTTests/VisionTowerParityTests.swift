import Foundation
import Tensor
import Testing
import TestSupport
import ViT

/// The vision tower (CLIP and SigLIP) against transformers on the tiny LLaVA fixtures: from
/// transformers' pixel values, every hidden state (the embeddings, then each encoder layer's
/// output) of every image of every case.
struct VisionTowerParityTests {
    @Test(arguments: LlavaFixtureCase.all())
    func hiddenStatesMatchTransformers(_ testCase: LlavaFixtureCase) throws {
        let config = try visionConfig(testCase)
        let checkpoint = try testCase.checkpoint()
        let tower = try VisionTower(config: config, weights: WeightSource(store: checkpoint, prefix: try checkpoint.prefix(of: "embeddings.patch_embedding.weight")))
        let pixels = try testCase.tensor("pixel_values")          // [images, 3, H, W]
        let hidden = try testCase.tensor("vision_hidden_states")  // [L + 1, images, tokens, C]
        let images = pixels.shape[0], imageSize = config.channels * config.imageSize * config.imageSize
        #expect(pixels.values.count == images * imageSize, "\(testCase): pixel_values of \(images) images at \(config.imageSize) px")
        #expect(hidden.shape == [config.layerCount + 1, images, config.tokenCount, config.hiddenSize], "\(testCase): vision_hidden_states shape")
        let perState = config.tokenCount * config.hiddenSize

        for i in 0..<images {
            let states = pixels.values.withUnsafeBufferPointer {
                tower.hiddenStates(pixels: $0.baseAddress! + i * imageSize, featureLayers: Array(0...config.layerCount))
            }
            for (layer, state) in states.enumerated() {
                let start = (layer * images + i) * perState
                expectClose(state.toArray(), Array(hidden.values[start..<(start + perState)]), "\(testCase) image \(i) vision_hidden_states[\(layer)]")
            }
        }
    }

    /// The fixture's `vision_config` (CLIPVisionConfig or SiglipVisionConfig).
    func visionConfig(_ testCase: LlavaFixtureCase) throws -> VisionConfig {
        let object = try #require(try testCase.config()["vision_config"] as? [String: Any], "\(testCase): config.json has no vision_config")
        return try JSONDecoder().decode(VisionConfig.self, from: JSONSerialization.data(withJSONObject: object))
    }
}
