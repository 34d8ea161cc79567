// The BPE model: one pre-token -> token ids (tokenizers/src/models/bpe/model.rs and word.rs).
//
// A word starts as one symbol per character (with byte fallback or the unknown token for characters
// outside the vocabulary), then the adjacent pair with the lowest merge rank is merged, the leftmost
// one on a tie, until no pair has a merge. A binary heap of (rank, position) makes that O(n log n),
// which matters for SentencePiece-style tokenizers whose "word" is a whole text segment.

import Foundation

/// A merge: the pair's rank (its line in `merges`) and the id of the merged token.
struct MergeRule: Sendable {
    let rank: Int32
    let result: Int32
}

final class BPEModel: Sendable {
    let vocabulary: Vocabulary
    /// (left id, right id) -> merge.
    private let merges: [UInt64: MergeRule]
    /// id of every single-character token, for the characters of the Basic Multilingual Plane; -1 if none.
    private let characterIds: [Int32]
    /// The same for characters above U+FFFF.
    private let astralCharacterIds: [UInt32: Int32]
    /// id of "<0xNN>" for each byte, -1 if missing.
    private let byteFallbackIds: [Int32]
    let unknownTokenId: Int?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    private let cache = WordCache(capacity: 10_000)

    init(
        vocabulary: Vocabulary, merges: [UInt64: MergeRule], unknownToken: String?,
        fuseUnknown: Bool, byteFallback: Bool, ignoreMerges: Bool,
        continuingSubwordPrefix: String?, endOfWordSuffix: String?
    ) throws(ConfigurationError) {
        self.vocabulary = vocabulary
        self.merges = merges
        var characterIds = [Int32](repeating: -1, count: 0x10000)
        var astralCharacterIds: [UInt32: Int32] = [:]
        vocabulary.forEachToken { id, bytes in
            guard (1...4).contains(bytes.count) else { return }
            var scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars.makeIterator()
            if let scalar = scalars.next(), scalars.next() == nil {
                if scalar.value < 0x10000 { characterIds[Int(scalar.value)] = Int32(id) }
                else { astralCharacterIds[scalar.value] = Int32(id) }
            }
        }
        self.characterIds = characterIds
        self.astralCharacterIds = astralCharacterIds

        var byteFallbackIds = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            if let id = vocabulary.id(Self.byteTokenName(UInt8(byte))) { byteFallbackIds[byte] = Int32(id) }
        }
        self.byteFallbackIds = byteFallbackIds

        if let unknownToken {
            guard let id = vocabulary.id(unknownToken) else {
                throw .invalid("model: unk_token \"\(unknownToken)\" is not in the vocabulary")
            }
            unknownTokenId = id
        } else {
            unknownTokenId = nil
        }
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        self.continuingSubwordPrefix = continuingSubwordPrefix?.isEmpty == true ? nil : continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix?.isEmpty == true ? nil : endOfWordSuffix
    }

    static func byteTokenName(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return byte < 16 ? "<0x0\(hex)>" : "<0x\(hex)>"
    }

    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Token ids of one pre-token. Appends to `ids`.
    func tokenize(_ word: [Unicode.Scalar], into ids: inout [Int]) {
        guard !word.isEmpty else { return }
        var key = String.UnicodeScalarView()
        key.append(contentsOf: word)
        let text = ExactString(String(key))
        if ignoreMerges, let id = vocabulary.id(text.string) {
            ids.append(id)
            return
        }
        let cacheable = word.count < 256
        if cacheable, let cached = cache.lookup(text) {
            for id in cached { ids.append(Int(id)) }
            return
        }
        var symbols = initialSymbols(word)
        mergeAll(&symbols)
        if cacheable { cache.insert(text, symbols) }
        for id in symbols { ids.append(Int(id)) }
    }

    /// model.rs `merge_word` before merging: one symbol per character.
    private func initialSymbols(_ word: [Unicode.Scalar]) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false  // an unknown symbol not yet appended (for fuse_unk)
        let usesAffixes = continuingSubwordPrefix != nil || endOfWordSuffix != nil
        for (index, scalar) in word.enumerated() {
            var id: Int32 = -1
            var text: String? = nil
            if usesAffixes {
                var piece = String(scalar)
                if index > 0, let prefix = continuingSubwordPrefix { piece = prefix + piece }
                if index == word.count - 1, let suffix = endOfWordSuffix { piece += suffix }
                if let found = vocabulary.id(piece) { id = Int32(found) }
                text = piece
            } else if scalar.value < 0x10000 {
                id = characterIds[Int(scalar.value)]
            } else {
                id = astralCharacterIds[scalar.value] ?? -1
            }
            if id >= 0 {
                if pendingUnknown, let unknown = unknownTokenId { symbols.append(Int32(unknown)) }
                pendingUnknown = false
                symbols.append(id)
                continue
            }
            if byteFallback {
                let bytes = Array((text ?? String(scalar)).utf8)
                if bytes.allSatisfy({ byteFallbackIds[Int($0)] >= 0 }) {
                    // HF keeps a pending unknown across byte-fallback characters.
                    for byte in bytes { symbols.append(byteFallbackIds[Int(byte)]) }
                    continue
                }
            }
            if let unknown = unknownTokenId {
                if pendingUnknown, !fuseUnknown { symbols.append(Int32(unknown)) }
                pendingUnknown = true
            }
        }
        if pendingUnknown, let unknown = unknownTokenId { symbols.append(Int32(unknown)) }
        return symbols
    }

    /// word.rs `merge_all` (without dropout): lowest rank first, leftmost on ties.
    private func mergeAll(_ symbols: inout [Int32]) {
        let count = symbols.count
        guard count > 1 else { return }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index + 1) }
            initialized = count
        }
        next[count - 1] = -1
        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index - 1) }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        var heap = MinHeap()
        for index in 0..<(count - 1) {
            if let rule = merges[Self.pairKey(symbols[index], symbols[index + 1])] {
                heap.push(rank: rule.rank, position: Int32(index))
            }
        }
        while let (rank, position32) = heap.pop() {
            let position = Int(position32)
            guard alive[position], next[position] >= 0 else { continue }
            let right = Int(next[position])
            // A stale entry: the pair at `position` changed since it was queued.
            guard let rule = merges[Self.pairKey(symbols[position], symbols[right])], rule.rank == rank else {
                continue
            }
            symbols[position] = rule.result
            alive[right] = false
            let afterRight = next[right]
            next[position] = afterRight
            if afterRight >= 0 { previous[Int(afterRight)] = Int32(position) }
            let before = previous[position]
            if before >= 0, let rule = merges[Self.pairKey(symbols[Int(before)], symbols[position])] {
                heap.push(rank: rule.rank, position: before)
            }
            if afterRight >= 0, let rule = merges[Self.pairKey(symbols[position], symbols[Int(afterRight)])] {
                heap.push(rank: rule.rank, position: position32)
            }
        }
        var merged: [Int32] = []
        merged.reserveCapacity(count)
        var index: Int32 = 0
        while index >= 0 {
            merged.append(symbols[Int(index)])
            index = next[Int(index)]
        }
        symbols = merged
    }
}

/// A binary min-heap of (rank, position), ordered by rank then position.
private struct MinHeap {
    private var keys: [UInt64] = []

    mutating func push(rank: Int32, position: Int32) {
        keys.append(UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: position)))
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if keys[parent] <= keys[child] { break }
            keys.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> (rank: Int32, position: Int32)? {
        guard let top = keys.first else { return nil }
        let last = keys.removeLast()
        if !keys.isEmpty {
            keys[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                if left >= keys.count { break }
                let right = left + 1
                let smallest = right < keys.count && keys[right] < keys[left] ? right : left
                if keys[parent] <= keys[smallest] { break }
                keys.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (Int32(bitPattern: UInt32(top >> 32)), Int32(bitPattern: UInt32(top & 0xFFFF_FFFF)))
    }
}

/// Results for words seen before (HF keeps a 10,000-entry cache too). Shared by copies of a Tokenizer,
/// so guarded by a lock.
final class WordCache: @unchecked Sendable {
    private var entries: [ExactString: [Int32]] = [:]
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func lookup(_ word: ExactString) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    func insert(_ word: ExactString, _ ids: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[word] = ids }
    }
}
