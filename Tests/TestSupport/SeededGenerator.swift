/// A seeded random stream (Marsaglia's xorshift64) for tests that want varied inputs: the same
/// numbers on every machine and every run, so a failure can be reproduced. Pass it as `using:`
/// to the standard library's `random` functions.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    /// `seed` must not be 0 (xorshift's one fixed point).
    public init(seed: UInt64) {
        precondition(seed != 0, "xorshift64 needs a non-zero seed")
        state = seed
    }

    public mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
