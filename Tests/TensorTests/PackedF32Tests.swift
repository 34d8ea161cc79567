import CKernels
import Foundation
@testable import Tensor
import Testing
import TestSupport

/// The exact F32 products against packed weights (F32 and BF16 panels; the AVX-512 micro-tiles and
/// decode path, and the portable loop) against sums in double precision, on shapes that leave
/// partial panels, partial blocks of input columns and partial row tiles.
struct PackedF32Tests {
    /// Row-major A (m rows, stride `lda`, NaN past `cols` so a read beyond it would show),
    /// W [rows, cols] and the expected products with their scale (Σ |a·w| per output).
    struct Case {
        let m: Int, rows: Int, cols: Int, lda: Int, ldc: Int
        let a: [Float], w: Matrix
        let expected: [Double], scale: [Double]  // [m, rows]

        init(m: Int, rows: Int, cols: Int, seed: UInt64) {
            let lda = cols + 3
            (self.m, self.rows, self.cols, self.lda, ldc) = (m, rows, cols, lda, rows + 5)
            var values = SeededGenerator(seed: seed)
            let a = (0..<(m * lda)).map { $0 % lda < cols ? values.activation() : .nan }
            self.a = a
            w = Matrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in values.bf16Weight() })
            var expected = [Double](repeating: 0, count: m * rows), scale = expected
            for i in 0..<m {
                for j in 0..<rows {
                    for k in 0..<cols {
                        let product = Double(a[i * lda + k]) * Double(w[j, k])
                        expected[i * rows + j] += product
                        scale[i * rows + j] += abs(product)
                    }
                }
            }
            (self.expected, self.scale) = (expected, scale)
        }

        /// Runs `product` into C filled with a sentinel and checks every output against the
        /// double-precision sums (relative to their scale) and that columns past `rows` are untouched.
        func check(_ label: String, _ product: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
            let sentinel: Float = 12345
            var c = [Float](repeating: sentinel, count: m * ldc)
            a.withUnsafeBufferPointer { a in
                c.withUnsafeMutableBufferPointer { c in product(a.baseAddress!, c.baseAddress!) }
            }
            var worst = 0.0, untouched = true
            for i in 0..<m {
                for j in 0..<ldc {
                    let value = c[i * ldc + j]
                    if j >= rows { untouched = untouched && value == sentinel; continue }
                    let error = abs(Double(value) - expected[i * rows + j]) / max(scale[i * rows + j], 1e-30)
                    worst = max(worst, error.isNaN ? .infinity : error)
                }
            }
            #expect(worst <= 1e-5, "\(label) m=\(m) rows=\(rows) cols=\(cols): relative error \(worst)")
            #expect(untouched, "\(label) m=\(m) rows=\(rows) cols=\(cols): wrote past the last output")
        }
    }

    static let shapes: [(rows: Int, cols: Int)] = [(33, 37), (70, 700), (32, 1), (1, 300), (96, 513), (40, 1100)]

    @Test(arguments: [1, 2, 3, 13, 15, 29], [PackedF32Matrix.Element.f32, .bf16])
    func matchesDoublePrecision(m: Int, element: PackedF32Matrix.Element) {
        for (index, shape) in Self.shapes.enumerated() {
            let test = Case(m: m, rows: shape.rows, cols: shape.cols, seed: 0x9E37_79B9_7F4A_7C15 &+ UInt64(index * 31 + m))
            let packed = element == .f32 ? PackedF32Matrix(packing: test.w) : PackedF32Matrix(packing: BF16Matrix(rounding: test.w))
            #expect(packed.element == element)
            var values = SeededGenerator(seed: UInt64(index + 1))
            let bias = (0..<shape.rows).map { _ in values.activation() }
            let withBias = Case(copying: test, adding: bias)
            test.check("\(element) all panels") { a, c in
                packed.multiply(a, lda: test.lda, rows: m, panels: 0..<packed.panels, into: c, ldc: test.ldc)
            }
            withBias.check("\(element) one panel at a time, bias") { a, c in
                for p in 0..<packed.panels {
                    packed.multiply(a, lda: test.lda, rows: m, panels: p..<(p + 1), bias: bias, into: c, ldc: test.ldc)
                }
            }
            for (check, b) in [(test, nil), (withBias, bias)] {
                check.check("\(element) portable\(b == nil ? "" : ", bias")") { a, c in
                    vlm_f32_gemm_packed_portable(a, Int64(test.lda), Int64(m), Int64(test.cols), packed.data, element == .bf16 ? 1 : 0,
                                                 Int64(test.rows), b, 0, Int64(packed.panels), c, Int64(test.ldc))
                }
            }
        }
    }

    /// Through Linear: threads split the panels, or the rows when there are fewer panels than
    /// threads; the bias is added.
    @Test(arguments: [1, 5, 100], [20, 200])
    func linearMatchesDoublePrecision(n: Int, outputs: Int) {
        let test = Case(m: n, rows: outputs, cols: 70, seed: 0x2545_F491_4F6C_DD1D &+ UInt64(n * outputs))
        var values = SeededGenerator(seed: 77)
        let bias = (0..<outputs).map { _ in values.activation() }
        for weight in [Linear.Weight.packedF32(PackedF32Matrix(packing: test.w)),
                       .packedF32(PackedF32Matrix(packing: BF16Matrix(rounding: test.w)))] {
            let linear = Linear(weight: weight, bias: bias)
            let withBias = Case(copying: test, adding: bias)
            withBias.check("Linear") { a, c in linear.apply(a, xStride: test.lda, rows: n, into: c, yStride: test.ldc) }
        }
    }

    @Test func rowsAndBytes() {
        let test = Case(m: 1, rows: 70, cols: 37, seed: 5)
        let f32 = Linear(weight: test.w), bf16 = Linear(weight: .packedF32(PackedF32Matrix(packing: BF16Matrix(rounding: test.w))))
        #expect(f32.weightBytes == 70 * 37 * 4)
        #expect(bf16.weightBytes == 70 * 37 * 2)
        for linear in [f32, bf16] {
            for r in [0, 15, 16, 31, 32, 69] {
                let row = [Float](unsafeUninitializedCapacity: 37) { buffer, count in
                    linear.copyRow(r, into: buffer.baseAddress!)
                    count = 37
                }
                #expect(row == Array(UnsafeBufferPointer(start: test.w.row(r), count: 37)), "row \(r)")
            }
        }
    }
}

extension PackedF32Tests.Case {
    /// The same case with `bias` added to every expected output.
    init(copying other: Self, adding bias: [Float]) {
        (m, rows, cols, lda, ldc, a, w) = (other.m, other.rows, other.cols, other.lda, other.ldc, other.a, other.w)
        expected = other.expected.enumerated().map { $1 + Double(bias[$0 % other.rows]) }
        scale = other.scale.enumerated().map { $1 + Double(abs(bias[$0 % other.rows])) }
    }
}

/// The test values of PackedF32Tests, drawn from a seeded stream.
extension SeededGenerator {
    /// Uniform in [-1, 1), with all 24 bits of the significand in use (so BF16 rounding of
    /// activations would show).
    mutating func activation() -> Float { Float(Double(next() % (1 << 24)) / Double(1 << 23) - 1) }
    /// A value that BF16 holds exactly, magnitude between 2⁻⁴ and 4, either sign.
    mutating func bf16Weight() -> Float {
        let bits = next()
        let exponent = UInt32(123 + bits % 6), mantissa = UInt32((bits >> 8) % 128), sign = UInt32((bits >> 16) % 2)
        return Float(bitPattern: sign << 31 | exponent << 23 | mantissa << 16)
    }
}
