import Tensor

/// Keys and values of every layer for the positions processed so far, of one sequence.
///
/// Sized once for `capacity` rows (prompt plus the tokens to generate, at most the context
/// length) so decoding never allocates; a prefill that needs rows beyond that for the length of
/// the pass (ProxyV's proxies) grows it once. Keys are stored after RoPE. Each row also records
/// its RoPE position: masks are decided by positions, so methods that reorder or virtually expand
/// the sequence (VTU, ProxyV) keep causality in the logical order.
public final class KVCache: @unchecked Sendable {
    private let config: TextConfig
    public private(set) var capacity: Int
    public private(set) var keys: [Matrix]    // per layer [capacity, kvHeads·headDim]
    public private(set) var values: [Matrix]  // per layer [capacity, kvHeads·headDim]
    public private(set) var positions: UnsafeMutablePointer<Int32>  // [capacity]
    /// Rows filled so far, the same in every layer.
    public private(set) var count = 0
    /// The position the next token takes: one past the largest position cached.
    public private(set) var nextPosition: Int32 = 0

    public init(config: TextConfig, capacity: Int) {
        self.config = config
        self.capacity = capacity
        keys = (0..<config.layerCount).map { _ in Matrix(rows: capacity, cols: config.kvDim) }
        values = (0..<config.layerCount).map { _ in Matrix(rows: capacity, cols: config.kvDim) }
        positions = .allocate(capacity: max(capacity, 1))
        positions.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit { positions.deallocate() }

    /// Makes room for `n` rows past `count`. Past the capacity the sequence may not grow beyond
    /// the context; rows a pass appends only for itself may, for that pass.
    public func reserve(rows n: Int) throws {
        guard count + n > capacity else { return }
        guard count + n <= max(capacity, config.maxPositions) else {
            throw LLMError.contextFull(needed: count + n, capacity: max(capacity, config.maxPositions))
        }
        let grown = count + n
        func copied(_ old: Matrix) -> Matrix {
            let new = Matrix(rows: grown, cols: old.cols)
            new.data.update(from: old.data, count: count * old.cols)
            return new
        }
        keys = keys.map(copied)
        values = values.map(copied)
        let newPositions = UnsafeMutablePointer<Int32>.allocate(capacity: grown)
        newPositions.initialize(repeating: 0, count: grown)
        newPositions.update(from: positions, count: count)
        positions.deallocate()
        positions = newPositions
        capacity = grown
    }

    /// Records the positions of rows about to be written from row `first` (each layer writes
    /// its own rows there; a method's layers may append more rows than the first ones).
    func setPositions(_ newPositions: [Int32], at first: Int) {
        precondition(first + newPositions.count <= capacity, "rows past the cache's capacity")
        for (i, p) in newPositions.enumerated() { positions[first + i] = p }
    }

    /// Starts an empty cache with the first `n` rows of `source` (a cached prefix of this sequence).
    public func copyPrefix(of source: KVCache, rows n: Int) throws {
        precondition(count == 0 && n <= source.count && source.keys.count == keys.count, "a prefix of a cache of the same model")
        try reserve(rows: n)
        for layer in keys.indices {
            keys[layer].data.update(from: source.keys[layer].data, count: n * config.kvDim)
            values[layer].data.update(from: source.values[layer].data, count: n * config.kvDim)
        }
        positions.update(from: source.positions, count: n)
        commit(rows: n)
    }

    /// Bytes of keys and values held.
    public var bytes: Int { 2 * keys.count * capacity * config.kvDim * MemoryLayout<Float>.size }

    /// Makes the `n` rows written past `count` visible; rows written beyond them are dropped.
    public func commit(rows n: Int) {
        for i in count..<(count + n) { nextPosition = max(nextPosition, positions[i] + 1) }
        count += n
    }
}
