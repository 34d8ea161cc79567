import CKernels
import Tensor
import Testing
import TestSupport

/// The packed BF16 product (vlm_bf16_gemm_packed and Linear's `.packedBF16` case) against a naive
/// double-precision sum of the same BF16-rounded inputs, on shapes that leave every kind of
/// remainder: micro-tile rows, partial panels, odd input counts, row strides wider than the rows.
struct PackedBF16GEMMTests {
    static func roundedToBF16(_ values: [Float]) -> [Double] {
        var bits = [UInt16](repeating: 0, count: values.count)
        vlm_f32_to_bf16(values, &bits, Int64(values.count))
        return bits.map { Double(Float(bitPattern: UInt32($0) << 16)) }
    }

    /// C[i, j] = bias[j] + Σ_k bf16(A[i, k]) · bf16(W[j, k]) in double, and the scale of its terms.
    static func reference(a: [Float], lda: Int, m: Int, w: [Float], rows: Int, cols: Int, bias: [Float]?)
        -> (values: [Double], scale: [Double]) {
        let ar = roundedToBF16(a), wr = roundedToBF16(w)
        var values = [Double](repeating: 0, count: m * rows), scale = values
        for i in 0..<m {
            for j in 0..<rows {
                var sum = Double(bias?[j] ?? 0), magnitude = abs(sum)
                for k in 0..<cols {
                    let term = ar[i * lda + k] * wr[j * cols + k]
                    sum += term
                    magnitude += abs(term)
                }
                values[i * rows + j] = sum
                scale[i * rows + j] = magnitude
            }
        }
        return (values, scale)
    }

    static let sentinel: Float = 12345

    /// Checks `c` (row stride ldc) against the reference over rows < m and columns in `columns`, and
    /// that everything else in `c` still holds the sentinel.
    static func check(_ c: [Float], ldc: Int, m: Int, rows: Int, columns: Range<Int>,
                      against reference: (values: [Double], scale: [Double]), _ label: String) {
        var worst = 0.0, untouched = true
        for i in 0..<(c.count / ldc) {
            for j in 0..<ldc {
                let value = c[i * ldc + j]
                if i < m && columns.contains(j) {
                    let error = abs(Double(value) - reference.values[i * rows + j])
                    worst = max(worst, error / max(reference.scale[i * rows + j], 1e-30))
                } else if value != sentinel {
                    untouched = false
                }
            }
        }
        #expect(worst <= 1e-5, "\(label): relative error \(worst)")
        #expect(untouched, "\(label): wrote outside its outputs")
    }

    /// The kernel itself over all panels and over a range of them, with and without bias.
    @Test(arguments: [1, 2, 3, 13, 15, 29], [(33, 37), (70, 701), (32, 64), (1, 1), (95, 2)])
    func kernelMatchesDoubleReference(m: Int, shape: (rows: Int, cols: Int)) {
        let (rows, cols) = shape
        let lda = cols + 5, ldc = rows + 3
        var values = SeededGenerator(seed: 0x9E37_79B9_7F4A_7C15 ^ UInt64(m * 1000 + rows * 7 + cols))
        let a = values.fullMantissaFloats(m * lda), w = values.fullMantissaFloats(rows * cols), bias = values.fullMantissaFloats(rows)
        var packed = [UInt16](repeating: 0, count: Int(vlm_bf16_packed_size(Int64(rows), Int64(cols))) / 2)
        vlm_bf16_pack_f32(w, Int64(rows), Int64(cols), &packed)
        let pairsPerRow = (cols + 1) / 2
        var pairs = [UInt32](repeating: 0, count: m * pairsPerRow)
        vlm_bf16_pair_rows(a, Int64(lda), Int64(m), Int64(cols), &pairs)
        let panels = (rows + 31) / 32
        for withBias in [false, true] {
            let reference = Self.reference(a: a, lda: lda, m: m, w: w, rows: rows, cols: cols,
                                           bias: withBias ? bias : nil)
            // All panels in one call.
            var c = [Float](repeating: Self.sentinel, count: (m + 1) * ldc)
            bias.withUnsafeBufferPointer { b in
                vlm_bf16_gemm_packed(pairs, Int64(m), Int64(cols), packed, Int64(rows), withBias ? b.baseAddress : nil,
                                     0, Int64(panels), &c, Int64(ldc))
            }
            Self.check(c, ldc: ldc, m: m, rows: rows, columns: 0..<rows, against: reference,
                       "m \(m) rows \(rows) cols \(cols) bias \(withBias)")
            // Only the panels from the second on: the first panel's outputs stay untouched.
            if panels > 1 {
                var c = [Float](repeating: Self.sentinel, count: (m + 1) * ldc)
                bias.withUnsafeBufferPointer { b in
                    vlm_bf16_gemm_packed(pairs, Int64(m), Int64(cols), packed, Int64(rows), withBias ? b.baseAddress : nil,
                                         1, Int64(panels), &c, Int64(ldc))
                }
                Self.check(c, ldc: ldc, m: m, rows: rows, columns: 32..<rows, against: reference,
                           "m \(m) rows \(rows) cols \(cols) bias \(withBias), panels 1..<\(panels)")
            }
        }
    }

    /// Linear with packed weights and a bias, through the threads, rows and strides as the models
    /// use them (a sub-block of wider matrices), against the same reference.
    @Test(arguments: [1, 2, 3, 13, 15, 29, 40, 100], [(70, 701), (33, 37), (1024, 64)])
    func linearMatchesDoubleReference(m: Int, shape: (outputs: Int, inputs: Int)) {
        let (outputs, inputs) = shape
        let xStride = inputs + 3, yStride = outputs + 17
        var values = SeededGenerator(seed: 0x2545_F491_4F6C_DD1D ^ UInt64(m * 1000 + outputs * 7 + inputs))
        let x = values.fullMantissaFloats(m * xStride), w = values.fullMantissaFloats(outputs * inputs), bias = values.fullMantissaFloats(outputs)
        let linear = Linear(weight: .packedBF16(PackedBF16Matrix(rounding: Matrix(rows: outputs, cols: inputs, values: w))),
                            bias: bias)
        var y = [Float](repeating: Self.sentinel, count: (m + 1) * yStride)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                linear.apply(xb.baseAddress!, xStride: xStride, rows: m, into: yb.baseAddress!, yStride: yStride)
            }
        }
        let reference = Self.reference(a: x, lda: xStride, m: m, w: w, rows: outputs, cols: inputs, bias: bias)
        Self.check(y, ldc: yStride, m: m, rows: outputs, columns: 0..<outputs, against: reference,
                   "Linear m \(m) outputs \(outputs) inputs \(inputs)")
    }
}

/// The test values of PackedBF16GEMMTests, drawn from a seeded stream.
extension SeededGenerator {
    /// `count` values in [-1, 1) with full F32 mantissas (so rounding to BF16 matters).
    mutating func fullMantissaFloats(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float(next() >> 40) / Float(1 << 23) - 1 }
    }
}
