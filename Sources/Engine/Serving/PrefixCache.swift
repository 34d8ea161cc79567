import LLM

/// Finished sequences' KV caches, kept so that a request whose rows start like one of them
/// computes only the rest (the second question about an image costs its own tokens only).
///
/// A sequence is described by one key per cache row: a text token's id, or for an image row a
/// hash of the image's digest and the row's offset in the image's block, so that rows match
/// only when they would hold the same keys and values.
struct PrefixCache {
    private var sequences: ByteBoundedLRU<[UInt64], KVCache>
    private(set) var hits = 0
    private(set) var lookups = 0
    private(set) var reusedRows = 0

    init(limit: Int) { sequences = ByteBoundedLRU(limit: limit) }

    var bytes: Int { sequences.bytes }
    var count: Int { sequences.count }

    /// The cached sequence sharing the longest prefix with `keys`, cut to the longest allowed
    /// length (`allowed(k)`: the first k rows may be reused), and that length.
    mutating func longestPrefix(of keys: [UInt64], allowed: (Int) -> Bool) -> (cache: KVCache, rows: Int)? {
        lookups += 1
        var best: (key: [UInt64], rows: Int)?
        for candidate in sequences.keys {
            var shared = 0
            let limit = min(candidate.count, keys.count)
            while shared < limit && candidate[shared] == keys[shared] { shared += 1 }
            while shared > 0 && !allowed(shared) { shared -= 1 }
            if shared > (best?.rows ?? 0) { best = (candidate, shared) }
        }
        guard let best, let cache = sequences.value(best.key) else { return nil }
        hits += 1
        reusedRows += best.rows
        return (cache, best.rows)
    }

    /// Keeps a finished sequence; one whose keys it extends is dropped (it holds nothing more).
    mutating func insert(_ cache: KVCache, keys: [UInt64]) {
        for old in Array(sequences.keys) where old.count <= keys.count && Array(keys.prefix(old.count)) == old {
            sequences.remove(old)
        }
        sequences.insert(cache, bytes: cache.bytes, for: keys)
    }
}
