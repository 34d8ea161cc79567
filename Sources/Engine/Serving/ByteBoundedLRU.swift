/// Values kept by key up to a total of bytes; the least recently used go first.
struct ByteBoundedLRU<Key: Hashable, Value> {
    private struct Entry {
        var value: Value
        let bytes: Int
        var lastUse: Int
    }
    let limit: Int
    private var entries: [Key: Entry] = [:]
    private var clock = 0
    private(set) var bytes = 0

    init(limit: Int) { self.limit = limit }

    var count: Int { entries.count }
    var keys: [Key] { Array(entries.keys) }

    mutating func value(_ key: Key) -> Value? {
        guard entries[key] != nil else { return nil }
        clock += 1
        entries[key]!.lastUse = clock
        return entries[key]!.value
    }

    /// Looks at a value without counting it as a use.
    func peek(_ key: Key) -> Value? { entries[key]?.value }

    /// Keeps `value` unless it alone is larger than the limit; evicts others to make room.
    mutating func insert(_ value: Value, bytes size: Int, for key: Key) {
        remove(key)
        guard size <= limit else { return }
        while bytes + size > limit, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            remove(oldest)
        }
        clock += 1
        entries[key] = Entry(value: value, bytes: size, lastUse: clock)
        bytes += size
    }

    mutating func remove(_ key: Key) {
        if let old = entries.removeValue(forKey: key) { bytes -= old.bytes }
    }
}
