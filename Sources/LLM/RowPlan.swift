/// What one decoder layer does with the rows of a forward pass.
///
/// The residual stream holds `streamRows` rows. Each sequence of the pass owns some of them and
/// its own KV cache: the layer appends one cache row per entry of `keyRows` (the stream row whose
/// key and value it takes, at RoPE position `positions[i]`), and the appended rows listed in
/// `queries` ask queries, each seeing the cached rows its mask allows. A stream row's attention
/// output is the mean over the queries it asked (one query in the plain case). Only the
/// `activeRows` take the attention output, o_proj and the MLP.
///
/// One description covers every way the engine runs the decoder:
/// - a plain prefill chunk or decode step: stream row i is key row i, every row asks a query;
/// - DyMU's virtual token unmerging: a merged row stands at several virtual positions, so it
///   appears in `keyRows` once per position and its output is the mean of those queries;
/// - ProxyV's layers: proxy rows join the stream, image rows are keys only (not active), the
///   groups mask hides image keys from proxies and proxy keys from text, and the proxies' cache
///   rows are dropped after the pass (`keptKeys`);
/// - several independent sequences in one pass (batched decoding), each with its own cache and
///   positions, sharing every weight product.
public struct RowPlan: Sendable {
    public private(set) var sequences: [Sequence]
    /// Rows of the residual stream the layer reads.
    public let streamRows: Int
    /// Stream rows that ask queries and run o_proj and the MLP, ascending; nil: every stream row.
    public let activeRows: [Int32]?

    /// One sequence's share of the pass.
    public struct Sequence: @unchecked Sendable {
        public let cache: KVCache
        /// The stream row behind each cache row this layer appends.
        public let keyRows: [Int32]
        /// The RoPE position of each appended cache row.
        public fileprivate(set) var positions: [Int32]
        /// How many appended rows stay in the cache after the pass: the rest (a suffix) are dropped.
        public let keptKeys: Int
        /// The stream row whose logits the pass returns for this sequence.
        public let logitsRow: Int
        /// ProxyV's groups: who may see whom beyond causality; nil: causal only.
        public let groups: AttentionGroups?

        /// Appended rows that ask queries, ascending (all of them when every row does).
        let queryKeys: [Int32]
        /// For each query, its stream row's index among the active rows.
        let queryActiveRows: [Int32]
        /// Each query's RoPE position.
        fileprivate(set) var queryPositions: [Int32]
        /// The first active row when this sequence's queries are exactly the active rows
        /// first..<first + count in order: then queries and outputs need no gathering.
        let contiguousActiveRows: Int?

        public init(cache: KVCache, keyRows: [Int32], positions: [Int32], queries: [Int32]? = nil,
                    keptKeys: Int? = nil, logitsRow: Int, groups: AttentionGroups? = nil,
                    activeIndex: (Int32) -> Int32) {
            precondition(keyRows.count == positions.count, "one position per key row")
            self.cache = cache
            self.keyRows = keyRows
            self.positions = positions
            self.keptKeys = keptKeys ?? keyRows.count
            self.logitsRow = logitsRow
            self.groups = groups
            queryKeys = queries ?? (0..<Int32(keyRows.count)).map { $0 }
            queryActiveRows = queryKeys.map { activeIndex(keyRows[Int($0)]) }
            queryPositions = queryKeys.map { positions[Int($0)] }
            let first = queryActiveRows.first.map(Int.init) ?? 0
            contiguousActiveRows = queryActiveRows.enumerated().allSatisfy { Int($1) == first + $0 } ? first : nil
        }
    }

    /// `activeRows` nil means every stream row is active.
    public init(streamRows: Int, activeRows: [Int32]? = nil, sequences: (_ activeIndex: (Int32) -> Int32) -> [Sequence]) {
        self.streamRows = streamRows
        self.activeRows = activeRows
        var index = [Int32](repeating: -1, count: activeRows == nil ? 0 : streamRows)
        if let activeRows { for (i, r) in activeRows.enumerated() { index[Int(r)] = Int32(i) } }
        self.sequences = sequences { row in
            guard activeRows != nil else { return row }
            precondition(index[Int(row)] >= 0, "a query from stream row \(row), which is not active")
            return index[Int(row)]
        }
    }

    public var activeCount: Int { activeRows?.count ?? streamRows }

    /// A single-row decode plan moved to the next position, in place (decode steps reuse one plan).
    mutating func moveDecodeStep(to position: Int32) {
        precondition(sequences.count == 1 && sequences[0].positions.count == 1, "not a single decode step")
        sequences[0].positions[0] = position
        sequences[0].queryPositions[0] = position
    }

    /// The rows of one sequence, each at its own position, every row asking a query.
    public static func plain(cache: KVCache, rows: Int, positions: [Int32]) -> RowPlan {
        RowPlan(streamRows: rows) { activeIndex in
            [Sequence(cache: cache, keyRows: (0..<Int32(rows)).map { $0 }, positions: positions,
                      logitsRow: rows - 1, activeIndex: activeIndex)]
        }
    }

    /// DyMU's virtual token unmerging (METHODS.md §1.2): `rows` compressed rows, attention as
    /// if the full sequence were there. `virtualRows[v]` is the row at virtual position
    /// `positions[v]`; the cache receives every virtual row, so decoding afterwards is ordinary.
    public static func virtual(cache: KVCache, rows: Int, virtualRows: [Int32], positions: [Int32]) -> RowPlan {
        precondition(virtualRows.allSatisfy { $0 >= 0 && Int($0) < rows }, "virtual rows out of range")
        return RowPlan(streamRows: rows) { activeIndex in
            [Sequence(cache: cache, keyRows: virtualRows, positions: positions, logitsRow: rows - 1, activeIndex: activeIndex)]
        }
    }

    /// One new row per sequence (batched decoding): stream row i is sequence i's token, at the
    /// next position of its own cache.
    public static func decode(caches: [KVCache]) -> RowPlan {
        batch(caches.map { ($0, [$0.nextPosition]) })
    }

    /// Several sequences' plain rows in one pass, their rows one after another in the stream:
    /// sequence i's rows at `positions`, appended to its own cache (a decode token, or a chunk
    /// of a prompt between other sequences' decode steps).
    public static func batch(_ sequences: [(cache: KVCache, positions: [Int32])]) -> RowPlan {
        let total = sequences.reduce(0) { $0 + $1.positions.count }
        return RowPlan(streamRows: total) { activeIndex in
            var first: Int32 = 0
            return sequences.map { cache, positions in
                defer { first += Int32(positions.count) }
                let rows = (first..<(first + Int32(positions.count))).map { $0 }
                return Sequence(cache: cache, keyRows: rows, positions: positions, logitsRow: Int(rows.last!),
                                activeIndex: activeIndex)
            }
        }
    }
}

/// ProxyV's attention groups (METHODS.md §3(a)): on top of causality by position, a query of
/// group g may see a key of group h only if bit g·4 + h of `allowed` is set.
public struct AttentionGroups: Sendable {
    /// The group of each query of the sequence, in query order.
    public let queryGroups: [UInt8]
    /// The group of every cache row the layer's attention reads (earlier rows and appended ones).
    public let keyGroups: [UInt8]
    public let allowed: UInt16

    public init(queryGroups: [UInt8], keyGroups: [UInt8], allowed: UInt16) {
        self.queryGroups = queryGroups
        self.keyGroups = keyGroups
        self.allowed = allowed
    }
}
