import CKernels

/// A fully connected layer, y = x · Wᵀ + b, with W `[out, in]` as HuggingFace saves it, packed
/// at load for the engine's own kernels.
public struct Linear: Sendable {
    public enum Weight: Sendable {
        /// Exact F32 products (weights in F32 or BF16 panels).
        case packedF32(PackedF32Matrix)
        /// BF16 dot products (activations rounded to BF16 inside each product).
        case packedBF16(PackedBF16Matrix)
    }

    public let weight: Weight   // [out, in]
    public let bias: [Float]?   // [out]
    public let outputs: Int
    public let inputs: Int

    public init(weight: Weight, bias: [Float]? = nil) {
        self.weight = weight
        switch weight {
        case let .packedF32(m): (outputs, inputs) = (m.rows, m.cols)
        case let .packedBF16(m): (outputs, inputs) = (m.rows, m.cols)
        }
        precondition(bias == nil || bias!.count == outputs, "bias length must equal the output size")
        self.bias = bias
    }

    /// A layer with exact F32 products of `weight` (packed into F32 panels).
    public init(weight: Matrix, bias: [Float]? = nil) {
        self.init(weight: .packedF32(PackedF32Matrix(packing: weight)), bias: bias)
    }

    /// Loads `<name>.weight` [out, in] and, when `bias` is true (or the key exists and bias is nil),
    /// `<name>.bias` [out]; an empty name means `weight` / `bias` directly under the source's prefix.
    public init(_ weights: WeightSource, _ name: String, out: Int, in inputs: Int, bias: Bool?) throws {
        let stem = name.isEmpty ? "" : name + "."
        let w = try weights.linearWeight(stem + "weight", out, inputs)
        let b: [Float]?
        switch bias {
        case true?: b = try weights.vector(stem + "bias", out)
        case false?: b = nil
        case nil: b = try weights.optionalVector(stem + "bias", out)
        }
        self.init(weight: w, bias: b)
    }

    /// Bytes of weights one full application reads (decode's memory traffic).
    public var weightBytes: Int {
        switch weight {
        case let .packedF32(w): w.bytes
        case .packedBF16: outputs * inputs * 2
        }
    }

    /// y[0..<n] = x[0..<n] · Wᵀ + b. `x` and `y` are row-major with row strides `xStride` / `yStride`.
    public func apply(_ x: UnsafePointer<Float>, xStride: Int, rows n: Int,
                      into y: UnsafeMutablePointer<Float>, yStride: Int) {
        switch weight {
        case let .packedF32(w):
            // The sums start from the bias.
            withBias { bias in
                let box = UnsafeSendable((x, y, bias))
                if w.panels >= Parallel.threads || n < 2 * Parallel.threads * 12 {
                    // Output panels over the threads; a decode step's (memory-bound) in chunks
                    // that threads claim as they finish, so that a late thread takes fewer.
                    Parallel.forRanges(w.panels, chunksPerThread: n == 1 ? 4 : 1) { panels in
                        let (x, y, bias) = box.value
                        w.multiply(x, lda: xStride, rows: n, panels: panels, bias: bias, into: y, ldc: yStride)
                    }
                } else {
                    // Fewer panels than threads: rows over the threads instead.
                    Parallel.forRanges(n, minimumPerThread: 12) { rows in
                        let (x, y, bias) = box.value
                        w.multiply(x + rows.lowerBound * xStride, lda: xStride, rows: rows.count, panels: 0..<w.panels,
                                   bias: bias, into: y + rows.lowerBound * yStride, ldc: yStride)
                    }
                }
            }
        case let .packedBF16(w):
            // Activations rounded to BF16 pairs once (on the stack for a decode step's single row),
            // then output panels split over the threads, the bias added inside the product.
            // Products of many rows take small chunks (a panel or a few): a thread that starts late
            // (woken from sleep) leaves at most one chunk's work to the other at the end.
            func product(_ bias: UnsafePointer<Float>?) {
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n * w.pairsPerRow) { buffer in
                    let pairs = buffer.baseAddress!
                    let rowsBox = UnsafeSendable((x, pairs))
                    Parallel.forRanges(n, minimumPerThread: 32) { rows in
                        let (x, pairs) = rowsBox.value
                        vlm_bf16_pair_rows(x + rows.lowerBound * xStride, Int64(xStride), Int64(rows.count), Int64(inputs),
                                           pairs + rows.lowerBound * w.pairsPerRow)
                    }
                    let box = UnsafeSendable((UnsafePointer(pairs), w.data, bias, y))
                    Parallel.forRanges(w.panels, chunksPerThread: n == 1 ? 4 : 16) { panels in
                        let (pairs, wd, bias, yd) = box.value
                        vlm_bf16_gemm_packed(pairs, Int64(n), Int64(inputs), wd, Int64(outputs), bias,
                                             Int64(panels.lowerBound), Int64(panels.upperBound), yd, Int64(yStride))
                    }
                }
            }
            withBias(product)
        }
    }

    /// `body` with the bias, or nil.
    private func withBias(_ body: (UnsafePointer<Float>?) -> Void) {
        if let bias { bias.withUnsafeBufferPointer { body($0.baseAddress!) } } else { body(nil) }
    }

    /// y[0..<n] = x[0..<n] · Wᵀ + b for whole matrices (`x.cols == inputs`, `y.cols == outputs`).
    public func apply(_ x: Matrix, rows n: Int, into y: Matrix) {
        precondition(x.cols == inputs && y.cols == outputs && n <= x.rows && n <= y.rows, "Linear shape mismatch")
        apply(x.data, xStride: x.cols, rows: n, into: y.data, yStride: y.cols)
    }

    /// Row `r` of W as Float32 (embedding lookups through a tied LM head).
    public func copyRow(_ r: Int, into destination: UnsafeMutablePointer<Float>) {
        switch weight {
        case let .packedF32(w): w.copyRow(r, into: destination)
        case let .packedBF16(w):
            let panel = r / 32, lane = r % 32
            for c in 0..<inputs {
                let bits = UInt32(w.data[((panel * w.pairsPerRow + c / 2) * 32 + lane) * 2 + c % 2]) << 16
                destination[c] = Float(bitPattern: bits)
            }
        }
    }
}
