/// A fully connected layer, y = x · Wᵀ + b, with W stored `[out, in]` as HuggingFace saves it.
public struct Linear: Sendable {
    public let weight: Matrix  // [out, in]
    public let bias: [Float]?  // [out]

    public init(weight: Matrix, bias: [Float]? = nil) {
        precondition(bias == nil || bias!.count == weight.rows, "bias length must equal the output size")
        self.weight = weight
        self.bias = bias
    }

    /// Loads `<name>.weight` [out, in] and, when `bias` is true (or the key exists and bias is nil), `<name>.bias` [out].
    public init(_ weights: WeightSource, _ name: String, out: Int, in inputs: Int, bias: Bool?) throws {
        let w = try weights.matrix(name + ".weight", out, inputs)
        let b: [Float]?
        switch bias {
        case true?: b = try weights.vector(name + ".bias", out)
        case false?: b = nil
        case nil: b = try weights.optionalVector(name + ".bias", out)
        }
        self.init(weight: w, bias: b)
    }

    public var outputs: Int { weight.rows }
    public var inputs: Int { weight.cols }

    /// y[0..<n] = x[0..<n] · Wᵀ + b. `x` and `y` are row-major with row strides `xStride` / `yStride`.
    public func apply(_ x: UnsafePointer<Float>, xStride: Int, rows n: Int,
                      into y: UnsafeMutablePointer<Float>, yStride: Int) {
        if n == 1 {
            BLAS.gemv(rows: outputs, cols: inputs, w: weight.data, ldw: inputs, x: x, y: y)
        } else {
            BLAS.gemmTransposedB(m: n, n: outputs, k: inputs, a: x, lda: xStride,
                                 b: weight.data, ldb: inputs, c: y, ldc: yStride)
        }
        if let bias {
            bias.withUnsafeBufferPointer { b in
                for r in 0..<n {
                    let row = y + r * yStride
                    for j in 0..<outputs { row[j] += b[j] }
                }
            }
        }
    }

    /// y[0..<n] = x[0..<n] · Wᵀ + b for whole matrices (`x.cols == inputs`, `y.cols == outputs`).
    public func apply(_ x: Matrix, rows n: Int, into y: Matrix) {
        precondition(x.cols == inputs && y.cols == outputs && n <= x.rows && n <= y.rows, "Linear shape mismatch")
        apply(x.data, xStride: x.cols, rows: n, into: y.data, yStride: y.cols)
    }
}
