import CKernels
import Foundation

/// A row-major matrix of BF16 values: weights kept at half the bytes of Float32, either borrowed
/// from a mapped BF16 checkpoint or rounded from Float32 at load (`--weights bf16`).
public final class BF16Matrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let data: UnsafeMutablePointer<UInt16>
    private let owner: AnyObject?

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
        data = .allocate(capacity: max(rows * cols, 1))
        owner = nil
        vlm_f32_to_bf16(matrix.data, data, Int64(rows * cols))
    }

    deinit { if owner == nil { data.deallocate() } }

    public var count: Int { rows * cols }

    /// Rows [first, first + n) widened to Float32 into `destination` (row stride `cols`).
    public func widenRows(_ first: Int, count n: Int, into destination: UnsafeMutablePointer<Float>) {
        vlm_bf16_to_f32(data + first * cols, destination, Int64(n * cols))
    }
}

/// How weights are kept in memory.
public enum WeightPrecision: String, Sendable, CaseIterable {
    /// As the checkpoint stores them: F32 and BF16 stay; F16 is widened to F32.
    case asStored = "stored"
    /// BF16 for every Linear layer (F32 and F16 weights are rounded at load).
    case bf16
    /// F32 for everything (BF16 and F16 are widened at load).
    case f32
}
