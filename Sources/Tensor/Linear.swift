import CKernels

/// A fully connected layer, y = x · Wᵀ + b, with W stored `[out, in]` as HuggingFace saves it,
/// in Float32 or BF16.
public struct Linear: Sendable {
    public enum Weight: Sendable {
        case f32(Matrix)
        case bf16(BF16Matrix)
        case packedBF16(PackedBF16Matrix)
    }

    public let weight: Weight   // [out, in]
    public let bias: [Float]?   // [out]
    public let outputs: Int
    public let inputs: Int

    public init(weight: Weight, bias: [Float]? = nil) {
        self.weight = weight
        switch weight {
        case let .f32(m): (outputs, inputs) = (m.rows, m.cols)
        case let .bf16(m): (outputs, inputs) = (m.rows, m.cols)
        case let .packedBF16(m): (outputs, inputs) = (m.rows, m.cols)
        }
        precondition(bias == nil || bias!.count == outputs, "bias length must equal the output size")
        self.bias = bias
    }

    public init(weight: Matrix, bias: [Float]? = nil) {
        self.init(weight: .f32(weight), bias: bias)
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
        case .f32: outputs * inputs * 4
        case .bf16, .packedBF16: outputs * inputs * 2
        }
    }

    /// y[0..<n] = x[0..<n] · Wᵀ + b. `x` and `y` are row-major with row strides `xStride` / `yStride`.
    public func apply(_ x: UnsafePointer<Float>, xStride: Int, rows n: Int,
                      into y: UnsafeMutablePointer<Float>, yStride: Int) {
        switch weight {
        case let .f32(w):
            if n == 1 {
                let box = UnsafeSendable((w.data, x, y))
                Parallel.forRanges(outputs, minimumPerThread: 64) { rows in
                    let (wd, xd, yd) = box.value
                    vlm_f32_gemv(wd, Int64(inputs), xd, yd, Int64(rows.lowerBound), Int64(rows.upperBound), Int64(inputs))
                }
            } else {
                BLAS.gemmTransposedB(m: n, n: outputs, k: inputs, a: x, lda: xStride,
                                     b: w.data, ldb: inputs, c: y, ldc: yStride)
            }
        case let .bf16(w):
            if n == 1 {
                let box = UnsafeSendable((w.data, x, y))
                Parallel.forRanges(outputs, minimumPerThread: 64) { rows in
                    let (wd, xd, yd) = box.value
                    vlm_bf16_gemv(wd, Int64(inputs), xd, yd, Int64(rows.lowerBound), Int64(rows.upperBound), Int64(inputs))
                }
            } else {
                // Widen a block of weight rows at a time and multiply it with OpenBLAS: the
                // product is compute-bound, so the widening is cheap next to it.
                let block = 256
                let panel = UnsafeMutablePointer<Float>.allocate(capacity: min(block, outputs) * inputs)
                defer { panel.deallocate() }
                var first = 0
                while first < outputs {
                    let count = min(block, outputs - first)
                    w.widenRows(first, count: count, into: panel)
                    BLAS.gemmTransposedB(m: n, n: count, k: inputs, a: x, lda: xStride,
                                         b: panel, ldb: inputs, c: y + first, ldc: yStride)
                    first += count
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
            if let bias {
                bias.withUnsafeBufferPointer { product($0.baseAddress!) }
            } else {
                product(nil)
            }
            return
        }
        if let bias {
            bias.withUnsafeBufferPointer { b in
                for r in 0..<n { addInPlace(y + r * yStride, b.baseAddress!, count: outputs) }
            }
        }
    }

    /// y[0..<n] = x[0..<n] · Wᵀ + b for whole matrices (`x.cols == inputs`, `y.cols == outputs`).
    public func apply(_ x: Matrix, rows n: Int, into y: Matrix) {
        precondition(x.cols == inputs && y.cols == outputs && n <= x.rows && n <= y.rows, "Linear shape mismatch")
        apply(x.data, xStride: x.cols, rows: n, into: y.data, yStride: y.cols)
    }

    /// Row `r` of W as Float32 (embedding lookups through a tied LM head).
    public func copyRow(_ r: Int, into destination: UnsafeMutablePointer<Float>) {
        switch weight {
        case let .f32(w): destination.update(from: w.row(r), count: inputs)
        case let .bf16(w): w.widenRows(r, count: 1, into: destination)
        case let .packedBF16(w):
            let panel = r / 32, lane = r % 32
            for c in 0..<inputs {
                let bits = UInt32(w.data[((panel * w.pairsPerRow + c / 2) * 32 + lane) * 2 + c % 2]) << 16
                destination[c] = Float(bitPattern: bits)
            }
        }
    }
}
