import CKernels
import Tensor
import Testing

struct BF16Tests {
    @Test func roundsToNearestEven() {
        // Hand-checked bit patterns: exact, tie to even (down), tie to even (up), above half, NaN.
        let inputs: [UInt32] = [0x3F80_0000, 0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x7FC0_0001]
        let expected: [UInt16] = [0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x7FC0]
        var output = [UInt16](repeating: 0, count: inputs.count)
        let floats = inputs.map { Float(bitPattern: $0) }
        vlm_f32_to_bf16(floats, &output, Int64(floats.count))
        #expect(output == expected)
    }
}

/// The packed BF16 dot-product path (AVX512_BF16, or its scalar fallback) against sums in double
/// precision on values that are exact in BF16, for row counts that exercise every micro-tile
/// (8, 4, 2, 1) and output counts that leave partial panels.
struct PackedBF16Tests {
    @Test(arguments: [1, 2, 3, 7, 8, 13, 40])
    func packedMatchesExactSums(rows: Int) {
        let outputs = 45, inputs = 37
        var generator = 0x9E37_79B9_7F4A_7C15 as UInt64
        func next() -> Float {
            generator ^= generator << 13; generator ^= generator >> 7; generator ^= generator << 17
            return Float(Int(generator % 255) - 127) / 64
        }
        let weight = Matrix(rows: outputs, cols: inputs, values: (0..<(outputs * inputs)).map { _ in next() })
        let x = Matrix(rows: rows, cols: inputs, values: (0..<(rows * inputs)).map { _ in next() })
        let ours = Matrix(rows: rows, cols: outputs)
        Linear(weight: .packedBF16(PackedBF16Matrix(rounding: weight))).apply(x, rows: rows, into: ours)
        var largest = 0.0
        for i in 0..<rows {
            for j in 0..<outputs {
                let exact = (0..<inputs).reduce(0.0) { $0 + Double(x[i, $1]) * Double(weight[j, $1]) }
                largest = max(largest, abs(Double(ours[i, j]) - exact))
            }
        }
        #expect(largest <= 1e-3, "packed BF16 products are off by \(largest)")
        // Row lookups from the packed form (tied embeddings).
        let row = [Float](unsafeUninitializedCapacity: inputs) { buffer, count in
            Linear(weight: .packedBF16(PackedBF16Matrix(rounding: weight))).copyRow(7, into: buffer.baseAddress!)
            count = inputs
        }
        #expect(row == Array(UnsafeBufferPointer(start: weight.row(7), count: inputs)))
    }
}
