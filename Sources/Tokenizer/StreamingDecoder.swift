// Incremental decoding for generation: feed one id at a time, get only the text it completes.
//
// Tokens are turned into bytes one by one (see `StreamingPlan`); bytes that end in the middle of a
// UTF-8 sequence are held back until the sequence is complete, so the text returned never contains a
// broken scalar (an emoji split over four "<0xNN>" byte-fallback tokens, or over two byte-level tokens,
// comes out whole with the token that completes it). SentencePiece's Strip(left 1) applies to the start
// of the whole output only, i.e. to the first token that produces text.
//
// For valid UTF-8 output the concatenated results equal `Tokenizer.decode` of all ids. Where the model
// emits bytes that never form valid UTF-8 the replacement characters can differ in number: this decoder
// replaces each maximal invalid subsequence with one U+FFFD, while HF's ByteFallback replaces a whole
// invalid run of byte tokens with one U+FFFD per byte.

/// Decodes a stream of token ids incrementally. Create one per generated sequence.
public struct StreamingDecoder: Sendable {
    private let core: TokenizerCore
    private let skipSpecialTokens: Bool
    /// Tokens decoded so far (the first one is special to Metaspace and to the join-with-spaces rule).
    private var tokenCount = 0
    /// Bytes not returned yet: the start of an incomplete UTF-8 sequence.
    private var pending: [UInt8] = []
    /// How many more leading strip characters may still be removed from the start of the output.
    private var stripRemaining: Int
    private let stripBytes: [UInt8]

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        core = tokenizer.core
        self.skipSpecialTokens = skipSpecialTokens
        if let strip = core.streamingPlan.leadingStrip {
            stripRemaining = strip.count
            stripBytes = Array(String(strip.content).utf8)
        } else {
            stripRemaining = 0
            stripBytes = []
        }
    }

    /// Feeds one id; returns the text that is now complete ("" when it only started a character, or
    /// for an unknown id, or a special token when skipping them).
    public mutating func append(_ id: Int) -> String {
        if skipSpecialTokens, core.specialTokenIds.contains(id) { return "" }
        guard let token = core.tokenString(id) else { return "" }
        pending += core.streamingPlan.bytes(for: token, index: tokenCount)
        tokenCount += 1
        if stripRemaining > 0 {
            stripLeading()
            if stripRemaining > 0 { return "" }  // still only strip characters (or part of one)
        }
        let completeCount = Self.completePrefixLength(pending)
        guard completeCount > 0 else { return "" }
        let text = String(decoding: pending[..<completeCount], as: UTF8.self)
        pending.removeFirst(completeCount)
        return text
    }

    /// Ends the stream: returns what is still held back (an incomplete sequence becomes U+FFFD).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        if stripRemaining > 0, !pending.isEmpty, stripBytes.starts(with: pending) {
            return ""  // part of a strip character: HF would have stripped nothing, but it is not text
        }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Removes leading strip characters from `pending`; sets `stripRemaining` to 0 once text starts.
    private mutating func stripLeading() {
        while stripRemaining > 0, !pending.isEmpty {
            if pending.starts(with: stripBytes) {
                pending.removeFirst(stripBytes.count)
                stripRemaining -= 1
            } else if stripBytes.starts(with: pending) {
                return  // could still become a strip character
            } else {
                stripRemaining = 0
            }
        }
    }

    /// The length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence that could
    /// still be completed. Invalid bytes are not held back (they can never become valid).
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // Find the start of the last sequence: at most 3 continuation bytes back.
        var start = count - 1
        while start >= 0, count - start <= 3, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0 else { return count }
        let lead = bytes[start]
        let expected: Int
        switch lead {
        case 0xC2...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF4: expected = 4
        default: return count  // ASCII or an invalid lead byte: nothing to wait for
        }
        let have = count - start
        guard have < expected else { return count }  // complete (or over-long and invalid anyway)
        // The second byte's range depends on the lead (no overlongs, no surrogates, <= U+10FFFF).
        if have >= 2 {
            let second = bytes[start + 1]
            let valid: Bool
            switch lead {
            case 0xE0: valid = (0xA0...0xBF).contains(second)
            case 0xED: valid = (0x80...0x9F).contains(second)
            case 0xF0: valid = (0x90...0xBF).contains(second)
            case 0xF4: valid = (0x80...0x8F).contains(second)
            default: valid = true
            }
            if !valid { return count }
        }
        return start
    }
}
