import Engine
import Foundation
import Reduction
import Tensor
import Testing
import TestSupport
import ViT

/// Family E of ../shared/reference: VisionZip on a tiny 24-layer CLIP tower, against the authors' code.
struct VisionZipTests {
    static let cases = ReferenceCase.cases("visionzip")

    @Test func referenceCasesExist() {
        #expect(!Self.cases.isEmpty, "expected visionzip cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: cases)
    func matchesReference(_ reference: ReferenceCase) throws {
        let config = try visionConfig(reference)
        let block = (reference["config"] as! [String: Any])["feature_layer"] as! Int
        let tower = try VisionTower(config: config, weights: WeightSource(store: try reference.weights()), layerCount: block + 1)
        let pairs = reference["pairs"] as! [[String: Any]]
        let imageSize = config.channels * config.imageSize * config.imageSize
        let c = config.hiddenSize

        // Single images (in0…), and the batch, whose rows VisionZip treats independently.
        var images: [(name: String, row: Int, pixels: [Float])] = []
        for name in reference["inputs"] as! [String] where name != "batch" {
            let index = Int(name.dropFirst(2))!
            images.append((name, 0, Array(reference.floats("pixel_values")[(index * imageSize)..<((index + 1) * imageSize)])))
        }
        let batch = reference.floats("pixel_values_batch")
        for row in 0..<(batch.count / imageSize) {
            images.append(("batch", row, Array(batch[(row * imageSize)..<((row + 1) * imageSize)])))
        }

        for image in images {
            let observer = VisionZipObserver(layer: block, vision: config)
            let hidden = image.pixels.withUnsafeBufferPointer {
                tower.hiddenStates(pixels: $0.baseAddress!, featureLayers: [block + 1], hooks: observer)[0]
            }
            let what = "\(reference) \(image.name)[\(image.row)]"
            expectClose(hidden.toArray(), rowFloats(reference, "\(image.name).debug.hidden_layer22", image.row), "\(what) hidden_layer22")
            expectClose(observer.metric.toArray(), rowFloats(reference, "\(image.name).debug.metric_layer22", image.row), "\(what) metric_layer22")
            expectClose(Array(observer.scores.dropFirst()), rowFloats(reference, "\(image.name).debug.cls_attention_sum", image.row),
                  "\(what) cls_attention_sum")

            for pair in pairs {
                let dominant = pair["dominant"] as! Int, contextual = pair["contextual"] as! Int
                let key = "\(image.name).dz_\(dominant)_\(contextual)"
                let selection = VisionZip.select(hidden: hidden, rows: hidden.rows, scores: observer.scores, metric: observer.metric,
                                                 dominant: dominant, contextual: contextual, keepFirst: true)
                #expect(selection.rankedIndices == rowInts(reference, "\(key).all_indices", image.row), "\(what) \(key).all_indices")
                #expect(selection.dominant == rowInts(reference, "\(key).kept_sorted", image.row), "\(what) \(key).kept_sorted")
                #expect(selection.targets == reference.ints("\(key).target_indices"), "\(what) \(key).target_indices")
                #expect(selection.assignment == rowInts(reference, "\(key).assignment", image.row), "\(what) \(key).assignment")
                expectClose(selection.tokens.toArray(), rowFloats(reference, "\(key).tokens", image.row), "\(what) \(key).tokens")
                #expect(selection.tokens.rows * c == rowFloats(reference, "\(key).tokens", image.row).count)
            }
        }
    }

    /// Row `row` of a tensor whose first dimension is the batch.
    func rowFloats(_ reference: ReferenceCase, _ name: String, _ row: Int) -> [Float] {
        batchRow(reference.floats(name), batch: reference.shape(name).first ?? 1, row)
    }

    func rowInts(_ reference: ReferenceCase, _ name: String, _ row: Int) -> [Int] {
        batchRow(reference.ints(name), batch: reference.shape(name).first ?? 1, row)
    }

    func batchRow<T>(_ values: [T], batch: Int, _ row: Int) -> [T] {
        let size = values.count / batch
        return Array(values[(row * size)..<((row + 1) * size)])
    }

}
