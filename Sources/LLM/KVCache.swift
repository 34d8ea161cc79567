import Tensor

/// Keys and values of every layer for the positions processed so far.
///
/// Sized once for `capacity` rows (prompt plus the tokens to generate, at most the context
/// length) so decoding never allocates. Keys are stored after RoPE. Each row also records its
/// RoPE position: masks are decided by positions, so methods that reorder or virtually expand
/// the sequence (VTU, ProxyV) keep causality in the logical order.
public final class KVCache: @unchecked Sendable {
    public let capacity: Int
    public let keys: [Matrix]    // per layer [capacity, kvHeads·headDim]
    public let values: [Matrix]  // per layer [capacity, kvHeads·headDim]
    public private(set) var positions: UnsafeMutablePointer<Int32>
    /// Rows filled so far, the same in every layer.
    public var count = 0

    public init(config: TextConfig, capacity: Int) {
        self.capacity = capacity
        keys = (0..<config.layerCount).map { _ in Matrix(rows: capacity, cols: config.kvDim) }
        values = (0..<config.layerCount).map { _ in Matrix(rows: capacity, cols: config.kvDim) }
        positions = .allocate(capacity: max(capacity, 1))
        positions.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit { positions.deallocate() }

    /// The position the next token takes: one past the largest position cached.
    public private(set) var nextPosition: Int32 = 0

    /// Records the positions of `n` rows about to be written at `count`; the layers then fill
    /// `keys[l]` / `values[l]` at those rows, and `commit` makes them visible.
    public func reserve(positions newPositions: UnsafePointer<Int32>, rows n: Int) throws {
        guard count + n <= capacity else { throw LLMError.contextFull(needed: count + n, capacity: capacity) }
        for i in 0..<n {
            positions[count + i] = newPositions[i]
            nextPosition = max(nextPosition, newPositions[i] + 1)
        }
    }

    public func commit(rows n: Int) { count += n }

    public func reset() {
        count = 0
        nextPosition = 0
    }
}
