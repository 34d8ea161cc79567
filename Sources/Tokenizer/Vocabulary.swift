// The BPE vocabulary: token bytes <-> id.
//
// Tokens live in one byte arena with an open-addressing hash table over their UTF-8 bytes. Loading a
// 150k-token vocabulary and resolving 280k merges then needs no String (and no allocation) per token,
// and lookups compare bytes, never Swift's canonical equivalence (see ExactString).

struct Vocabulary: Sendable {
    private var arena: [UInt8] = []
    /// Per id: where its token starts in `arena` (-1: no token has this id) and how long it is.
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    /// Hash table of ids (-1: empty slot).
    private var slots: [Int32]
    private var mask: Int
    private(set) var count = 0

    init() {
        slots = [Int32](repeating: -1, count: 1 << 12)
        mask = (1 << 12) - 1
    }

    /// One more than the largest id.
    private(set) var idLimit = 0

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        // FNV-1a, 64-bit: tokens are short, and this is simple and good enough for a power-of-two table.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }

    private func equals(_ id: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(starts[Int(id)])
        let length = Int(lengths[Int(id)])
        guard length == bytes.count else { return false }
        return arena.withUnsafeBufferPointer { arena in
            for index in 0..<length where arena[start + index] != bytes[index] { return false }
            return true
        }
    }

    /// The slot holding `bytes`, or the empty slot where it would go.
    private func slot(for bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var slot = Self.hash(bytes) & mask
        while true {
            let id = slots[slot]
            if id < 0 || equals(id, bytes) { return slot }
            slot = (slot + 1) & mask
        }
    }

    /// Adds a token. A token already present takes the new id (a repeated JSON key: the last one wins,
    /// as in serde_json), and its old id is left without a token.
    mutating func insert(_ bytes: UnsafeBufferPointer<UInt8>, id: Int) {
        if (count + 1) * 2 > slots.count { grow() }
        if id >= starts.count {
            let newCount = max(id + 1, starts.count * 2)
            starts += [Int32](repeating: -1, count: newCount - starts.count)
            lengths += [Int32](repeating: 0, count: newCount - lengths.count)
        }
        let slot = slot(for: bytes)
        if slots[slot] >= 0 {
            let previous = Int(slots[slot])
            if previous != id { starts[previous] = -1 }
        } else {
            count += 1
        }
        idLimit = max(idLimit, id + 1)
        starts[id] = Int32(arena.count)
        lengths[id] = Int32(bytes.count)
        arena.append(contentsOf: bytes)
        slots[slot] = Int32(id)
    }

    mutating func insert(_ token: String, id: Int) {
        var token = token
        token.withUTF8 { insert($0, id: id) }
    }

    private mutating func grow() {
        let newSize = slots.count * 2
        slots = [Int32](repeating: -1, count: newSize)
        mask = newSize - 1
        arena.withUnsafeBufferPointer { arena in
            for id in 0..<starts.count where starts[id] >= 0 {
                let bytes = UnsafeBufferPointer(rebasing: arena[Int(starts[id])..<Int(starts[id] + lengths[id])])
                var slot = Self.hash(bytes) & mask
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(id)
            }
        }
    }

    func id(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let id = slots[slot(for: bytes)]
        return id >= 0 ? Int(id) : nil
    }

    func id(_ token: String) -> Int? {
        var token = token
        return token.withUTF8 { id($0) }
    }

    func token(_ id: Int) -> String? {
        guard id >= 0, id < starts.count, starts[id] >= 0 else { return nil }
        let start = Int(starts[id])
        return arena.withUnsafeBufferPointer { arena in
            String(decoding: UnsafeBufferPointer(rebasing: arena[start..<(start + Int(lengths[id]))]), as: UTF8.self)
        }
    }

    /// Calls `body` for every (id, token bytes).
    func forEachToken(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try arena.withUnsafeBufferPointer { arena in
            for id in 0..<starts.count where starts[id] >= 0 {
                try body(id, UnsafeBufferPointer(rebasing: arena[Int(starts[id])..<Int(starts[id] + lengths[id])]))
            }
        }
    }
}
