import Foundation
import Projector
import Tensor
import Testing
import TestSupport

/// LLaVA's projector against transformers on the tiny LLaVA fixtures: transformers' image
/// features (the projector's input) of every image of every case, projected to the LLM width.
struct ProjectorParityTests {
    @Test(arguments: LlavaFixtureCase.all())
    func projectionMatchesTransformers(_ testCase: LlavaFixtureCase) throws {
        let config = try testCase.config()
        // transformers' LlavaConfig defaults when the fields are absent (older checkpoints).
        let activation = try (config["projector_hidden_act"] as? String).map {
            try #require(Activation(rawValue: $0), "\(testCase): projector_hidden_act \($0)")
        } ?? .gelu
        let bias = config["multimodal_projector_bias"] as? Bool ?? true
        let checkpoint = try testCase.checkpoint()
        let weights = WeightSource(store: checkpoint, prefix: try checkpoint.prefix(of: "multi_modal_projector.linear_1.weight") + "multi_modal_projector.")
        let features = try testCase.tensor("image_features")  // [images, rows, Cv·k]
        let projected = try testCase.tensor("projected")       // [images, rows, D]
        let (images, rows, inputs) = (features.shape[0], features.shape[1], features.shape[2])
        let outputs = try #require(projected.shape.last, "\(testCase): projected shape")
        #expect(projected.shape == [images, rows, outputs], "\(testCase): projected shape")
        let projector = try MultiModalProjector(weights: weights, inputs: inputs, outputs: outputs, activation: activation, bias: bias)

        for i in 0..<images {
            let input = Matrix(rows: rows, cols: inputs, values: Array(features.values[(i * rows * inputs)..<((i + 1) * rows * inputs)]))
            expectClose(projector(input, rows: rows).toArray(), Array(projected.values[(i * rows * outputs)..<((i + 1) * rows * outputs)]),
                        "\(testCase) image \(i) projected")
        }
    }
}
