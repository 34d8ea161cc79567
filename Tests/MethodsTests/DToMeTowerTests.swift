import Engine
import Foundation
import Reduction
import Tensor
import Testing
import TestSupport
import ViT

/// Family B of ../shared/reference: DToMe inside a tiny CLIP tower, batch 1, against DyMU's code.
struct DToMeTowerTests {
    @Test func referenceCasesExist() throws {
        #expect(try ReferenceCase.caseNames("dtome_clip_tower").count >= 3, "expected dtome_clip_tower cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: ReferenceCase.cases("dtome_clip_tower"))
    func matchesReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let config = try visionConfig(reference)
        // The tower the case describes: a class token and proportional attention (the only kind DToMeMerger does).
        #expect(try reference.bool("class_token", in: "config") == config.hasClassToken, "\(reference): class_token")
        #expect(try reference.bool("proportional_attention", in: "config"), "\(reference): proportional_attention")
        let tower = try VisionTower(config: config, weights: WeightSource(store: try reference.weights()))
        // The inputs are the tensors; case.json lists the same values.
        let thresholds = try reference.floats("thresholds")
        let schedule = try reference.ints("layer_r")
        #expect(try reference.decode([Float].self, "thresholds") == thresholds, "\(reference): thresholds in case.json")
        #expect(try reference.decode([Int].self, "layer_r") == schedule, "\(reference): layer_r in case.json")
        let counts = try reference.decode([String: [Int]].self, "token_counts_after_each_layer")
        let pixels = try reference.floats("pixel_values")
        let imageSize = config.channels * config.imageSize * config.imageSize
        let n0 = config.tokenCount, c = config.hiddenSize, layers = config.layerCount
        // LLaVA's features: the output of block `feature_layer` (L − 2), i.e. hidden_states[feature_layer + 1].
        let featureBlock = try reference.int("feature_layer")
        let images = try reference.int("n_images")
        #expect(pixels.count == images * imageSize, "\(reference): pixel_values holds n_images images")

        for image in 0..<images {
            let name = "img\(image)"
            let merger = DToMeMerger(thresholds: thresholds, mergingLayers: schedule.map { $0 > 0 }, vision: config)
            let recorder = Recorder(merger, heads: config.headCount)
            let states = pixels.withUnsafeBufferPointer {
                tower.hiddenStates(pixels: $0.baseAddress! + image * imageSize, featureLayers: Array(0...layers), hooks: recorder)
            }
            #expect(merger.tokenCounts == counts[name], "\(reference) \(name): token counts")
            // (img{j}.embeddings, before any block, test the tower alone: ViTTests' EmbeddingsReferenceTests.)
            for l in 0..<layers {
                let key = "\(name).layer\(l)"
                expectClose(recorder.metrics[l], try reference.floats("\(key).metric"), "\(reference) \(key).metric")
                expectClose(states[l + 1].toArray(), try reference.floats("\(key).hidden"), "\(reference) \(key).hidden")
                if reference.has("\(key).size") {
                    #expect(try reference.floats("\(key).size") == recorder.sizes[l], "\(reference) \(key).size")
                } else {
                    #expect(recorder.sizes[l].isEmpty, "\(reference) \(key).size is absent (no merging block yet), ours is defined")
                }
                #expect(try reference.ints("\(key).pos_tracking") == recorder.groups[l].multiHot.map(Int.init), "\(reference) \(key).pos_tracking")
            }
            // Features without the CLS row; P without the CLS row and column.
            let features = states[featureBlock + 1]
            expectClose(Array(features.toArray().dropFirst(c)), try reference.floats("\(name).features"), "\(reference) \(name).features")
            let patchGroups = recorder.groups[featureBlock].restricted(to: 1..<n0)
            #expect(try reference.ints("\(name).feature_pos_tracking") == patchGroups.multiHot.map(Int.init), "\(reference) \(name).feature_pos_tracking")
            #expect(try reference.floats("\(name).feature_sizes") == Array(recorder.sizes[featureBlock].dropFirst()), "\(reference) \(name).feature_sizes")
        }

        // Where the case names the merges per block it chose its thresholds for (image 0), ours match.
        if let targets = try reference.decode([Int]?.self, "threshold_targets_for_img0"), let img0 = counts["img0"] {
            let merges = zip([n0] + img0.dropLast(), img0).map { $0 - $1 }
            #expect(merges == targets, "\(reference): threshold_targets_for_img0")
        }
    }
}

/// Forwards to a merger and keeps, for every block, its matching metric and its sizes (empty while
/// undefined) and groups after the block.
final class Recorder: VisionBlockHooks {
    let merger: DToMeMerger
    let heads: Int
    var metrics: [[Float]] = []
    var sizes: [[Float]] = []
    var groups: [TokenGroups] = []
    init(_ merger: DToMeMerger, heads: Int) {
        self.merger = merger
        self.heads = heads
    }

    func keyBias(layer: Int, rows: Int) -> UnsafePointer<Float>? { merger.keyBias(layer: layer, rows: rows) }
    func attentionObserver(layer: Int, rows: Int) -> ((Int, UnsafePointer<Float>) -> Void)? { nil }
    func afterAttention(layer: Int, hidden: Matrix, rows: Int, keys: Matrix) -> Int {
        metrics.append(MatchingMetric.headMean(keys: keys, rows: rows, heads: heads).toArray())
        let n = merger.afterAttention(layer: layer, hidden: hidden, rows: rows, keys: keys)
        sizes.append(merger.sizes ?? [])
        groups.append(merger.groups)
        return n
    }
}

/// The tiny tower's VisionConfig from the case's `config` object (HF field names).
func visionConfig(_ reference: ReferenceCase) throws -> VisionConfig {
    try reference.decode(VisionConfig.self, "config")
}
