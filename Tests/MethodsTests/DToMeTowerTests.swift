import Engine
import Foundation
import Reduction
import Tensor
import Testing
import TestSupport
import ViT

/// Family B of ../shared/reference: DToMe inside a tiny CLIP tower, batch 1, against DyMU's code.
struct DToMeTowerTests {
    static let cases = ReferenceCase.cases("dtome_clip_tower")

    @Test func referenceCasesExist() {
        #expect(Self.cases.count >= 3, "expected dtome_clip_tower cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: cases)
    func matchesReference(_ reference: ReferenceCase) throws {
        let config = try visionConfig(reference)
        let tower = try VisionTower(config: config, weights: WeightSource(store: try reference.weights()))
        let thresholds = (reference["thresholds"] as! [NSNumber]).map(\.floatValue)
        let schedule = (reference["layer_r"] as! [NSNumber]).map(\.intValue)
        let counts = reference["token_counts_after_each_layer"] as! [String: [Int]]
        let pixels = reference.floats("pixel_values")
        let imageSize = config.channels * config.imageSize * config.imageSize
        let n0 = config.tokenCount, c = config.hiddenSize, layers = config.layerCount

        for image in 0..<reference.int("n_images") {
            let name = "img\(image)"
            let merger = DToMeMerger(thresholds: thresholds, mergingLayers: schedule.map { $0 > 0 }, vision: config)
            let recorder = Recorder(merger)
            let states = pixels.withUnsafeBufferPointer {
                tower.hiddenStates(pixels: $0.baseAddress! + image * imageSize, featureLayers: Array(0...layers), hooks: recorder)
            }
            #expect(merger.tokenCounts == counts[name], "\(reference) \(name): token counts")
            expectClose(states[0].toArray(), reference.floats("\(name).embeddings"), "\(reference) \(name).embeddings")
            for l in 0..<layers {
                let key = "\(name).layer\(l)"
                expectClose(states[l + 1].toArray(), reference.floats("\(key).hidden"), "\(reference) \(key).hidden")
                if reference.has("\(key).size") {
                    #expect(recorder.sizes[l] == reference.floats("\(key).size"), "\(reference) \(key).size")
                }
                #expect(recorder.groups[l].multiHot.map(Int.init) == reference.ints("\(key).pos_tracking"), "\(reference) \(key).pos_tracking")
            }
            // LLaVA's features: block L−2's output without the CLS row; P without the CLS row and column.
            let features = states[layers - 1]
            expectClose(Array(features.toArray().dropFirst(c)), reference.floats("\(name).features"), "\(reference) \(name).features")
            let patchGroups = recorder.groups[layers - 2].restricted(to: 1..<n0)
            #expect(patchGroups.multiHot.map(Int.init) == reference.ints("\(name).feature_pos_tracking"), "\(reference) \(name).feature_pos_tracking")
            #expect(Array(recorder.sizes[layers - 2].dropFirst()) == reference.floats("\(name).feature_sizes"), "\(reference) \(name).feature_sizes")
        }
    }

}

/// Forwards to a merger and keeps its sizes and groups after every block.
final class Recorder: VisionBlockHooks {
    let merger: DToMeMerger
    var sizes: [[Float]] = []
    var groups: [TokenGroups] = []
    init(_ merger: DToMeMerger) { self.merger = merger }

    func keyBias(layer: Int, rows: Int) -> UnsafePointer<Float>? { merger.keyBias(layer: layer, rows: rows) }
    func attentionObserver(layer: Int, rows: Int) -> ((Int, UnsafePointer<Float>) -> Void)? { nil }
    func afterAttention(layer: Int, hidden: Matrix, rows: Int, keys: Matrix) -> Int {
        let n = merger.afterAttention(layer: layer, hidden: hidden, rows: rows, keys: keys)
        sizes.append(merger.sizes ?? [])
        groups.append(merger.groups)
        return n
    }
}

/// The tiny tower's VisionConfig from the case's `config` object (HF field names).
func visionConfig(_ reference: ReferenceCase) throws -> VisionConfig {
    let object = reference["config"] as! [String: Any]
    return try JSONDecoder().decode(VisionConfig.self, from: JSONSerialization.data(withJSONObject: object))
}
