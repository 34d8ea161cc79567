import Tensor

/// LLaVA's multi-modal projector (transformers' LlavaMultiModalProjector, the original
/// `mlp2x_gelu`): linear_1 → act → linear_2, mapping vision features [M, Cv·k] to the LLM width
/// [M, D] (k = number of feature layers concatenated).
public struct MultiModalProjector: Sendable {
    public let linear1: Linear  // [D, Cv·k]
    public let activation: Activation
    public let linear2: Linear  // [D, D]

    public init(weights w: WeightSource, inputs: Int, outputs: Int, activation: Activation, bias: Bool) throws {
        linear1 = try Linear(w, "linear_1", out: outputs, in: inputs, bias: bias)
        linear2 = try Linear(w, "linear_2", out: outputs, in: outputs, bias: bias)
        self.activation = activation
    }

    /// Projects the first `rows` rows of `features` into a new [rows, D] matrix.
    public func callAsFunction(_ features: Matrix, rows: Int) -> Matrix {
        let hidden = Matrix(rows: rows, cols: linear1.outputs)
        linear1.apply(features, rows: rows, into: hidden)
        activation.apply(hidden.data, count: rows * hidden.cols)
        let output = Matrix(rows: rows, cols: linear2.outputs)
        linear2.apply(hidden, rows: rows, into: output)
        return output
    }
}
