import Foundation
import Tensor
import Testing
import TestSupport
@testable import ViT

/// The tower's embeddings (patch convolution, class token, positions, CLIP's pre-layernorm)
/// against DyMU's code: family B of ../shared/reference stores them before any block, so they
/// test the tower alone (the merging blocks are MethodsTests' DToMeTowerTests).
struct EmbeddingsReferenceTests {
    @Test(arguments: ReferenceCase.cases("dtome_clip_tower"))
    func embeddingsMatchReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let config = try reference.decode(VisionConfig.self, "config")
        let tower = try VisionTower(config: config, weights: WeightSource(store: try reference.weights()), layerCount: 0)
        let pixels = try reference.floats("pixel_values")
        let imageSize = config.channels * config.imageSize * config.imageSize
        let images = try reference.int("n_images")
        #expect(pixels.count == images * imageSize, "\(reference): pixel_values holds n_images images")
        for image in 0..<min(images, pixels.count / imageSize) {
            let embeddings = pixels.withUnsafeBufferPointer { tower.embeddings(pixels: $0.baseAddress! + image * imageSize) }
            expectClose(embeddings.toArray(), try reference.floats("img\(image).embeddings"), "\(reference) img\(image).embeddings")
        }
    }
}
