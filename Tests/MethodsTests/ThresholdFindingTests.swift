import Engine
import Foundation
import Reduction
import Tensor
import Testing
import TestSupport
import ViT

/// Family C of ../shared/reference: DToMe's batch-level threshold finding, against DyMU's code.
struct ThresholdFindingTests {
    static let cases = ReferenceCase.cases("dtome_threshold_finding")

    @Test func referenceCasesExist() {
        #expect(Self.cases.count >= 2, "expected dtome_threshold_finding cases under \(ReferenceCase.root.path)")
    }

    @Test(arguments: cases)
    func matchesReference(_ reference: ReferenceCase) throws {
        let config = try visionConfig(reference)
        let tower = try VisionTower(config: config, weights: WeightSource(store: try reference.weights()))
        let schedule = (reference["layer_r"] as! [NSNumber]).map(\.intValue)
        let calibrator = ThresholdCalibrator(tower: tower, schedule: schedule)
        let counts = reference["valid_tokens_per_image_after_each_layer"] as! [[String: [Double]]]
        let imageSize = config.channels * config.imageSize * config.imageSize
        let c = config.hiddenSize, n0 = config.tokenCount

        for b in 0..<reference.int("n_batches") {
            let pixels = reference.floats("batch\(b)")
            let batch = (0..<(pixels.count / imageSize)).map { Array(pixels[($0 * imageSize)..<(($0 + 1) * imageSize)]) }
            let samples = calibrator.calibrate(batch: batch) { layer, states in
                let key = "batch\(b).layer\(layer)"
                let width = reference.shape("\(key).hidden")[1]
                // The stored padding_mask was mutated in place by later blocks in the generator, so
                // validity comes from the sizes: valid rows come first, padding rows have size 0.
                let hidden = reference.floats("\(key).hidden"), sizes = reference.floats("\(key).size")
                let tracking = reference.ints("\(key).pos_tracking")
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
                    let (difference, bound) = maxAbsDifference(state.hidden.toArray(rows: state.count), theirs)
                    #expect(difference <= bound, "\(reference) \(key) image \(i) hidden differs by \(difference)")
                    let multiHot = state.groups.multiHot.map(Int.init)
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
                        #expect(multiHot == expected, "\(reference) \(key) image \(i) pos_tracking")
                    } when: { !consistent }
                    #expect(state.sizes?.reduce(0, +) == Float(n0), "\(reference) \(key) image \(i): our sizes must cover every token once")
                }
            }
            let expectedSamples = reference.floats("batch\(b).threshold_samples")
            for (layer, sample) in samples.enumerated() {
                #expect(abs((sample ?? .nan) - expectedSamples[layer]) <= 1e-5, "\(reference) batch\(b) sample of block \(layer)")
            }
            let (difference, _) = maxAbsDifference(calibrator.thresholds, reference.floats("batch\(b).thresholds_after"))
            #expect(difference <= 1e-5, "\(reference) batch\(b) thresholds differ by \(difference)")
        }
    }
}
