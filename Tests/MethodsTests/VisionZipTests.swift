import Engine
import Foundation
import Reduction
import Tensor
import Testing
import TestSupport
import ViT

/// Family E of ../shared/reference: VisionZip on a tiny 24-layer CLIP tower, against the authors' code.
struct VisionZipTests {
    @Test func referenceCasesExist() throws {
        #expect(try !ReferenceCase.caseNames("visionzip").isEmpty, "expected visionzip cases under \(ReferenceCase.root.path)")
    }

    /// One (K_d, K_c) pair of case.json's `pairs`.
    struct Pair: Decodable {
        let dominant: Int
        let contextual: Int
        let targetIndices: [Int]
        enum CodingKeys: String, CodingKey { case dominant, contextual, targetIndices = "target_indices" }
    }

    @Test(arguments: ReferenceCase.cases("visionzip"))
    func matchesReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let config = try visionConfig(reference)
        let block = try reference.int("feature_layer", in: "config")
        let tower = try VisionTower(config: config, weights: WeightSource(store: try reference.weights()), layerCount: block + 1)
        let pairs = try reference.decode([Pair].self, "pairs")
        let imageSize = config.channels * config.imageSize * config.imageSize
        let c = config.hiddenSize

        // Single images (in0…, rows of pixel_values), and the batch, whose rows VisionZip treats independently.
        var images: [(name: String, row: Int, pixels: [Float])] = []
        let singles = try reference.floats("pixel_values")
        for name in try reference.decode([String].self, "inputs") where name != "batch" {
            let index = try #require(Int(name.dropFirst(2)), "\(reference): input name \(name)")
            try #require((index + 1) * imageSize <= singles.count, "\(reference): pixel_values has no image \(index)")
            images.append((name, 0, Array(singles[(index * imageSize)..<((index + 1) * imageSize)])))
        }
        let batch = try reference.floats("pixel_values_batch")
        for row in 0..<(batch.count / imageSize) {
            images.append(("batch", row, Array(batch[(row * imageSize)..<((row + 1) * imageSize)])))
        }

        for image in images {
            let observer = AttentionRecorder(VisionZipObserver(layer: block, vision: config), layer: block, heads: config.headCount)
            let hidden = image.pixels.withUnsafeBufferPointer {
                tower.hiddenStates(pixels: $0.baseAddress!, featureLayers: [block + 1], hooks: observer)[0]
            }
            let what = "\(reference) \(image.name)[\(image.row)]"
            let debug = "\(image.name).debug"
            expectClose(hidden.toArray(), try rowFloats(reference, "\(debug).hidden_layer22", image.row), "\(what) hidden_layer22")
            expectClose(observer.probabilities, try rowFloats(reference, "\(debug).attn_layer22", image.row), "\(what) attn_layer22")
            expectClose(observer.observer.metric.toArray(), try rowFloats(reference, "\(debug).metric_layer22", image.row), "\(what) metric_layer22")
            expectClose(Array(observer.observer.scores.dropFirst()), try rowFloats(reference, "\(debug).cls_attention_sum", image.row),
                  "\(what) cls_attention_sum")

            for pair in pairs {
                let key = "\(image.name).dz_\(pair.dominant)_\(pair.contextual)"
                let selection = VisionZip.select(hidden: hidden, rows: hidden.rows, scores: observer.observer.scores, metric: observer.observer.metric,
                                                 dominant: pair.dominant, contextual: pair.contextual, keepFirst: true)
                #expect(try rowInts(reference, "\(key).all_indices", image.row) == selection.rankedIndices, "\(what) \(key).all_indices")
                #expect(try rowInts(reference, "\(key).kept_sorted", image.row) == selection.dominant, "\(what) \(key).kept_sorted")
                #expect(try reference.ints("\(key).target_indices") == selection.targets, "\(what) \(key).target_indices")
                #expect(selection.targets == pair.targetIndices, "\(what) \(key): pairs' target_indices")
                #expect(try rowInts(reference, "\(key).assignment", image.row) == selection.assignment, "\(what) \(key).assignment")
                let tokens = try rowFloats(reference, "\(key).tokens", image.row)
                expectClose(selection.tokens.toArray(), tokens, "\(what) \(key).tokens")
                #expect(selection.tokens.rows * c == tokens.count)
            }
        }
    }

    /// Row `row` of a tensor whose first dimension is the batch.
    func rowFloats(_ reference: ReferenceCase, _ name: String, _ row: Int) throws -> [Float] {
        batchRow(try reference.floats(name), batch: try reference.shape(name).first ?? 1, row)
    }

    func rowInts(_ reference: ReferenceCase, _ name: String, _ row: Int) throws -> [Int] {
        batchRow(try reference.ints(name), batch: try reference.shape(name).first ?? 1, row)
    }

    func batchRow<T>(_ values: [T], batch: Int, _ row: Int) -> [T] {
        let size = values.count / batch
        return Array(values[(row * size)..<((row + 1) * size)])
    }
}

/// Forwards to VisionZip's observer and keeps block `layer`'s softmax probabilities, [heads, N, N].
final class AttentionRecorder: VisionBlockHooks {
    let observer: VisionZipObserver
    let layer: Int, heads: Int
    private(set) var probabilities: [Float] = []
    init(_ observer: VisionZipObserver, layer: Int, heads: Int) {
        self.observer = observer
        self.layer = layer
        self.heads = heads
    }

    func keyBias(layer: Int, rows: Int) -> UnsafePointer<Float>? { observer.keyBias(layer: layer, rows: rows) }
    func attentionObserver(layer: Int, rows n: Int) -> ((Int, UnsafePointer<Float>) -> Void)? {
        guard let forward = observer.attentionObserver(layer: layer, rows: n) else { return nil }
        guard layer == self.layer else { return forward }
        probabilities = [Float](repeating: .nan, count: heads * n * n)
        return { [self] head, values in
            probabilities.withUnsafeMutableBufferPointer { ($0.baseAddress! + head * n * n).update(from: values, count: n * n) }
            forward(head, values)
        }
    }
    func afterAttention(layer: Int, hidden: Matrix, rows: Int, keys: Matrix) -> Int {
        observer.afterAttention(layer: layer, hidden: hidden, rows: rows, keys: keys)
    }
}
