import Foundation

/// A dense, row-major matrix of Float32: the one tensor type of the engine.
///
/// Activations are matrices of `rows` tokens by `cols` features; weights are matrices of
/// `[out, in]` as HuggingFace stores them. A matrix either owns its memory (see `AlignedMemory`)
/// or borrows it from an owner that keeps it alive (a memory-mapped checkpoint file). Run buffers
/// are allocated once and reused: `rows` is the capacity, and forward passes work on the first
/// `n` rows of a buffer.
public final class Matrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let data: UnsafeMutablePointer<Float>
    private let owner: AnyObject?

    /// A zero-filled matrix that owns its memory.
    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "matrix shape must be non-negative")
        self.rows = rows
        self.cols = cols
        let count = max(rows * cols, 1)
        data = AlignedMemory.allocate(Float.self, count: count)
        data.initialize(repeating: 0, count: count)
        owner = nil
    }

    /// A matrix over memory that `owner` keeps alive (e.g. a mapped safetensors file).
    public init(rows: Int, cols: Int, borrowing data: UnsafeMutablePointer<Float>, owner: AnyObject) {
        self.rows = rows
        self.cols = cols
        self.data = data
        self.owner = owner
    }

    /// A matrix holding a copy of `values` (row-major).
    public convenience init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols, "\(values.count) values for a \(rows)×\(cols) matrix")
        self.init(rows: rows, cols: cols)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit {
        if owner == nil { free(data) }
    }

    public var count: Int { rows * cols }

    /// Pointer to the first element of row `r`.
    @inline(__always)
    public func row(_ r: Int) -> UnsafeMutablePointer<Float> { data + r * cols }

    public subscript(r: Int, c: Int) -> Float {
        get { data[r * cols + c] }
        set { data[r * cols + c] = newValue }
    }

    /// The first `n` rows as a Swift array (tests and reports; not for hot paths).
    public func toArray(rows n: Int? = nil) -> [Float] {
        Array(UnsafeBufferPointer(start: data, count: (n ?? rows) * cols))
    }

    public func copyRow(_ r: Int, from source: UnsafePointer<Float>) {
        row(r).update(from: source, count: cols)
    }
}
