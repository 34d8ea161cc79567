/// Which original tokens each current token stands for, after any number of merges.
///
/// DyMU's reference code tracks this as a multi-hot matrix P (N × N0); here each original token
/// records the index of the current token that holds it (`virtualRows`), which is the same
/// information in O(N0) memory and makes VTU's mapping (`argmax` over P's columns) a lookup.
public struct TokenGroups: Sendable, Equatable {
    /// virtualRows[o] = index of the current token that original token o belongs to.
    public private(set) var virtualRows: [Int32]
    /// Number of current tokens.
    public private(set) var count: Int

    /// Every original token alone: the identity.
    public init(originalCount: Int) {
        virtualRows = (0..<originalCount).map(Int32.init)
        count = originalCount
    }

    public init(virtualRows: [Int32], count: Int) {
        self.virtualRows = virtualRows
        self.count = count
    }

    public var originalCount: Int { virtualRows.count }

    /// Applies a merge step: current token t becomes token `destination[t]` of `newCount`.
    public mutating func remap(_ destination: [Int], newCount: Int) {
        for o in virtualRows.indices { virtualRows[o] = Int32(destination[Int(virtualRows[o])]) }
        count = newCount
    }

    /// Original indices of each current token, ascending.
    public var members: [[Int]] {
        var groups = Array(repeating: [Int](), count: count)
        for (o, t) in virtualRows.enumerated() { groups[Int(t)].append(o) }
        return groups
    }

    /// Group sizes (the `size` DToMe carries), as floats for weighting.
    public var sizes: [Float] {
        var sizes = [Float](repeating: 0, count: count)
        for t in virtualRows { sizes[Int(t)] += 1 }
        return sizes
    }

    /// The multi-hot matrix P (count × originalCount) of the reference code, row-major.
    public var multiHot: [Int32] {
        var p = [Int32](repeating: 0, count: count * originalCount)
        for (o, t) in virtualRows.enumerated() { p[Int(t) * originalCount + o] = 1 }
        return p
    }

    /// The groups restricted to originals `range` (e.g. dropping the class token), renumbering
    /// the current tokens that remain in order. Current tokens with no member in `range` vanish.
    public func restricted(to range: Range<Int>) -> TokenGroups {
        var renumber = [Int32](repeating: -1, count: count)
        var next: Int32 = 0
        var sortedTokens: [Int] = []
        for t in virtualRows[range] where renumber[Int(t)] < 0 {
            renumber[Int(t)] = 0
            sortedTokens.append(Int(t))
        }
        for t in sortedTokens.sorted() { renumber[t] = next; next += 1 }
        return TokenGroups(virtualRows: virtualRows[range].map { renumber[Int($0)] }, count: Int(next))
    }
}
