import CKernels

/// A weight matrix `[rows, cols]` packed for exact F32 products (see CKernels.h): panels of 32
/// rows, all input columns of a panel contiguous, so the kernel reads each panel as one stream
/// and keeps a block of it in L1 while rows of activations go past.
///
/// The panels hold F32, or, for weights stored in BF16, BF16 (half the memory); widening BF16 to
/// F32 is exact, so either way every product is the F32 product of the stored weight and the
/// activation as it is (nothing is rounded), with F32 sums.
public final class PackedF32Matrix: @unchecked Sendable {
    /// How the panels store each weight.
    public enum Element: Sendable {
        case f32
        case bf16
    }

    public let rows: Int
    public let cols: Int
    public let element: Element
    let data: UnsafeMutableRawPointer
    private let owner: AnyObject

    /// F32 panels of `matrix`.
    public init(packing matrix: Matrix) {
        (rows, cols, element) = (matrix.rows, matrix.cols, .f32)
        let (pointer, owner) = WeightArena.shared.allocate(Float.self, count: Int(vlm_f32_panel_elements(Int64(rows), Int64(cols))))
        Self.pack(rows: rows, cols: cols) { first, count, offset in
            vlm_f32_pack(matrix.data + first * matrix.cols, Int64(matrix.cols), Int64(count), Int64(matrix.cols), pointer + offset)
        }
        (data, self.owner) = (UnsafeMutableRawPointer(pointer), owner)
    }

    /// BF16 panels of `matrix`.
    public init(packing matrix: BF16Matrix) {
        (rows, cols, element) = (matrix.rows, matrix.cols, .bf16)
        let (pointer, owner) = WeightArena.shared.allocate(UInt16.self, count: Int(vlm_f32_panel_elements(Int64(rows), Int64(cols))))
        Self.pack(rows: rows, cols: cols) { first, count, offset in
            vlm_f32_pack_bf16(matrix.data + first * matrix.cols, Int64(count), Int64(matrix.cols), pointer + offset)
        }
        (data, self.owner) = (UnsafeMutableRawPointer(pointer), owner)
    }

    public var panels: Int { (rows + 31) / 32 }

    /// Packs the panels over the threads: `body(first, count, offset)` packs rows first ..< first +
    /// count (whole panels) to elements offset… of the packed form. Most of the time goes to
    /// faulting in the fresh pages, which the threads do side by side.
    private static func pack(rows: Int, cols: Int, _ body: @escaping (Int, Int, Int) -> Void) {
        let box = UnsafeSendable(body)
        Parallel.forRanges((rows + 31) / 32, minimumPerThread: 8) { panels in
            let first = panels.lowerBound * 32
            box.value(first, min(rows, panels.upperBound * 32) - first, first * cols)
        }
    }

    /// Bytes of one full read of the weights (padding aside).
    public var bytes: Int { rows * cols * (element == .f32 ? 4 : 2) }

    /// c[i, 32p ..< 32p + 32] = bias[32p ..< 32p + 32] + a[i] · W[32p ..< 32p + 32]ᵀ for i < m and
    /// p in `panels` (the last panel cut at `rows`; no bias when `bias` is nil); `a` and `c` are
    /// row-major with row strides `lda` / `ldc`.
    public func multiply(_ a: UnsafePointer<Float>, lda: Int, rows m: Int, panels: Range<Int>, bias: UnsafePointer<Float>? = nil,
                         into c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch element {
        case .f32:
            vlm_f32_gemm_packed(a, Int64(lda), Int64(m), Int64(cols), data.assumingMemoryBound(to: Float.self),
                                Int64(rows), bias, Int64(panels.lowerBound), Int64(panels.upperBound), c, Int64(ldc))
        case .bf16:
            vlm_f32_gemm_packed_bf16(a, Int64(lda), Int64(m), Int64(cols), data.assumingMemoryBound(to: UInt16.self),
                                     Int64(rows), bias, Int64(panels.lowerBound), Int64(panels.upperBound), c, Int64(ldc))
        }
    }

    /// Row `r` of W as F32.
    public func copyRow(_ r: Int, into destination: UnsafeMutablePointer<Float>) {
        let panel = r / 32, lane = r % 32
        switch element {
        case .f32:
            let source = data.assumingMemoryBound(to: Float.self) + panel * cols * 32 + lane
            for c in 0..<cols { destination[c] = source[c * 32] }
        case .bf16:
            let source = data.assumingMemoryBound(to: UInt16.self) + panel * cols * 32 + 2 * (lane % 16) + lane / 16
            for c in 0..<cols { destination[c] = Float(bitPattern: UInt32(source[c * 32]) << 16) }
        }
    }
}
