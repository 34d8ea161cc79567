import Tensor

/// LLaVA's multi-modal projector (transformers' LlavaMultiModalProjector; the original repository's
/// `mlp2x_gelu` or `linear` mm_projector): linear → act → linear, or one linear, mapping vision
/// features [M, Cv·k] to the LLM width [M, D] (k = number of feature layers concatenated).
public struct MultiModalProjector: Sendable {
    public let linear1: Linear   // [D, Cv·k]
    public let activation: Activation
    public let linear2: Linear?  // [D, D]; absent for a linear projector

    /// Layer names: transformers' `linear_1`/`linear_2`, the original repository's `0`/`2` (an
    /// nn.Sequential with the GELU at index 1), or a single unnamed layer (`second` nil, `first` "").
    public init(weights w: WeightSource, inputs: Int, outputs: Int, activation: Activation, bias: Bool,
                names: (first: String, second: String?) = ("linear_1", "linear_2")) throws {
        let first = names.first.isEmpty ? w : w.scoped(names.first)
        linear1 = try Linear(first, "", out: outputs, in: inputs, bias: bias)
        linear2 = try names.second.map { try Linear(w.scoped($0), "", out: outputs, in: outputs, bias: bias) }
        self.activation = activation
    }

    /// Projects the first `rows` rows of `features` into a new [rows, D] matrix.
    public func callAsFunction(_ features: Matrix, rows: Int) -> Matrix {
        let hidden = Matrix(rows: rows, cols: linear1.outputs)
        linear1.apply(features, rows: rows, into: hidden)
        guard let linear2 else { return hidden }
        activation.apply(hidden.data, count: rows * hidden.cols)
        let output = Matrix(rows: rows, cols: linear2.outputs)
        linear2.apply(hidden, rows: rows, into: output)
        return output
    }
}
