import CKernels
import Foundation

/// A row-major matrix of BF16 values, borrowed from a mapped BF16 checkpoint (to be packed) or
/// rounded from Float32.
public final class BF16Matrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let data: UnsafeMutablePointer<UInt16>
    private let owner: AnyObject

    public init(rows: Int, cols: Int, borrowing data: UnsafeMutablePointer<UInt16>, owner: AnyObject) {
        self.rows = rows
        self.cols = cols
        self.data = data
        self.owner = owner
    }

    /// Rounds `matrix` to BF16 (nearest even).
    public init(rounding matrix: Matrix) {
        rows = matrix.rows
        cols = matrix.cols
        (data, owner) = WeightArena.shared.allocate(UInt16.self, count: rows * cols)
        vlm_f32_to_bf16(matrix.data, data, Int64(rows * cols))
    }

    public var count: Int { rows * cols }
}

/// A weight matrix in BF16, packed for AVX512_BF16 dot products (see CKernels.h): panels of 32
/// rows with pairs of input columns side by side. Products round their activations to BF16 too.
public final class PackedBF16Matrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let data: UnsafeMutablePointer<UInt16>
    private let owner: AnyObject

    public init(rounding matrix: Matrix) {
        rows = matrix.rows
        cols = matrix.cols
        (data, owner) = WeightArena.shared.allocate(UInt16.self, count: Int(vlm_bf16_packed_size(Int64(rows), Int64(cols))) / 2)
        vlm_bf16_pack_f32(matrix.data, Int64(rows), Int64(cols), data)
    }

    public init(packing matrix: BF16Matrix) {
        rows = matrix.rows
        cols = matrix.cols
        (data, owner) = WeightArena.shared.allocate(UInt16.self, count: Int(vlm_bf16_packed_size(Int64(rows), Int64(cols))) / 2)
        vlm_bf16_pack_bf16(matrix.data, Int64(rows), Int64(cols), data)
    }

    public var panels: Int { (rows + 31) / 32 }
    public var pairsPerRow: Int { (cols + 1) / 2 }
}

/// How weights are kept in memory and multiplied.
public enum WeightPrecision: String, Sendable, CaseIterable {
    /// As the checkpoint stores them, multiplied exactly in F32: F32 stays F32; BF16 stays BF16
    /// in memory and is widened in registers (exact); F16 is widened to F32 at load.
    case asStored = "stored"
    /// BF16 for every Linear layer, multiplied with BF16 dot-product instructions (AVX512_BF16):
    /// half the bytes of F32 and about twice the arithmetic rate, with the activations rounded
    /// to BF16 inside each product (relative error around 2⁻⁹ per product, F32 sums).
    case bf16
    /// F32 for everything (BF16 and F16 are widened at load).
    case f32
}
