import Engine
import Foundation
import Reduction
import Tensor
import Testing
import TestSupport
import ViT

/// Family C of ../shared/reference: DToMe's batch-level threshold finding, against DyMU's code.
///
/// Not compared: `padding_mask` (the generator mutated it in place after storing, see below) and
/// `sort_indices` (the permutation of the official padded layout; ours keeps valid rows only, so
/// its effect shows in the hidden/size/pos_tracking rows compared here).
struct ThresholdFindingTests {
    @Test func referenceCasesExist() throws {
        #expect(try ReferenceCase.caseNames("dtome_threshold_finding").count >= 2, "expected dtome_threshold_finding cases under \(ReferenceCase.root.path)")
    }

    /// One image's state after a block, copied as the calibrator reports it.
    struct Snapshot {
        let hidden: [Float]
        let count: Int
        let sizes: [Float]?
        let multiHot: [Int]
    }

    @Test(arguments: ReferenceCase.cases("dtome_threshold_finding"))
    func matchesReference(_ folder: ReferenceCase.Folder) throws {
        let reference = try folder.open()
        let config = try visionConfig(reference)
        let tower = try VisionTower(config: config, weights: WeightSource(store: try reference.weights()))
        let schedule = try reference.decode([Int].self, "layer_r")
        let calibrator = ThresholdCalibrator(tower: tower, schedule: schedule)
        #expect(try calibrator.thresholds == [Float](repeating: reference.float("initial_threshold"), count: schedule.count),
                "\(reference): every τ starts at initial_threshold")
        let counts = try reference.decode([[String: [Double]]].self, "valid_tokens_per_image_after_each_layer")
        let thresholdsAfter = try reference.decode([[Float]].self, "thresholds_after_each_batch")
        let batchSize = try reference.int("batch_size")
        let imageSize = config.channels * config.imageSize * config.imageSize
        let c = config.hiddenSize, n0 = config.tokenCount

        for b in 0..<(try reference.int("n_batches")) {
            let pixels = try reference.floats("batch\(b)")
            let batch = (0..<(pixels.count / imageSize)).map { Array(pixels[($0 * imageSize)..<(($0 + 1) * imageSize)]) }
            #expect(batch.count == batchSize, "\(reference) batch\(b): \(batch.count) images, batch_size \(batchSize)")
            var observed: [Int: [Snapshot]] = [:]
            let samples = calibrator.calibrate(batch: batch) { layer, states in
                observed[layer] = states.map {
                    Snapshot(hidden: $0.hidden.toArray(rows: $0.count), count: $0.count, sizes: $0.sizes, multiHot: $0.groups.multiHot.map(Int.init))
                }
            }
            for layer in schedule.indices {
                let key = "batch\(b).layer\(layer)"
                let states = try #require(observed[layer], "\(reference) \(key): the calibrator reported no state")
                let width = try reference.shape("\(key).hidden")[1]
                // The stored padding_mask was mutated in place by later blocks in the generator, so
                // validity comes from the sizes: valid rows come first, padding rows have size 0.
                let hidden = try reference.floats("\(key).hidden"), sizes = try reference.floats("\(key).size")
                let tracking = try reference.ints("\(key).pos_tracking")
                #expect(states.map { Double($0.count) } == counts[b]["block_\(layer)_ntoks"], "\(reference) \(key) valid tokens")
                for (i, state) in states.enumerated() {
                    let valid = (0..<width).filter { sizes[i * width + $0] > 0 }
                    guard valid == Array(0..<state.count) else {
                        Issue.record("\(reference) \(key) image \(i): valid rows \(valid), ours 0..<\(state.count)")
                        continue
                    }
                    var theirs: [Float] = []
                    for row in valid {
                        let start = (i * width + row) * c
                        theirs += hidden[start..<(start + c)]
                    }
                    expectClose(state.hidden, theirs, "\(reference) \(key) image \(i) hidden")
                    var expected: [Int] = []
                    for row in valid {
                        let start = (i * width + row) * n0
                        expected += tracking[start..<(start + n0)]
                    }
                    let expectedSizes = valid.map { sizes[i * width + $0] }
                    // Two recorded states of the reference count more original tokens than exist
                    // (sizes summing to 18–24 of 17): the generator stored them before a later
                    // in-place update. Hidden states there still match; sizes cannot.
                    let consistent = expectedSizes.reduce(0, +) == Float(n0) && expected.reduce(0, +) == n0
                    withKnownIssue("reference \(key) image \(i) sizes sum to \(expectedSizes.reduce(0, +)), not \(n0)") {
                        #expect(state.sizes == expectedSizes, "\(reference) \(key) image \(i) size")
                        #expect(state.multiHot == expected, "\(reference) \(key) image \(i) pos_tracking")
                    } when: { !consistent }
                    #expect(state.sizes?.reduce(0, +) == Float(n0), "\(reference) \(key) image \(i): our sizes must cover every token once")
                }
            }
            let expectedSamples = try reference.floats("batch\(b).threshold_samples")
            for (layer, sample) in samples.enumerated() {
                #expect(abs((sample ?? .nan) - expectedSamples[layer]) <= 1e-5, "\(reference) batch\(b) sample of block \(layer)")
            }
            let (difference, _) = maxAbsDifference(calibrator.thresholds, try reference.floats("batch\(b).thresholds_after"))
            #expect(difference <= 1e-5, "\(reference) batch\(b) thresholds differ by \(difference)")
            // case.json lists the same running means.
            let listed = try #require(thresholdsAfter.indices.contains(b) ? thresholdsAfter[b] : nil, "\(reference) thresholds_after_each_batch[\(b)]")
            let (listedDifference, _) = maxAbsDifference(calibrator.thresholds, listed)
            #expect(listedDifference <= 1e-5, "\(reference) thresholds_after_each_batch[\(b)] differs by \(listedDifference)")
        }
    }
}
