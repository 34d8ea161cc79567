// Added tokens (special or not) are found in the text before normalization and pre-tokenization,
// as tokenizers/src/tokenizer/added_vocabulary.rs does:
// 1. tokens with normalized == false are matched in the raw text;
// 2. each stretch of text between them is normalized, and tokens with normalized == true are
//    matched (by their normalized content) in it.
// Matching is leftmost-longest and non-overlapping (an Aho-Corasick automaton in HF, a byte trie
// here), with the single_word / lstrip / rstrip rules applied to each match.

/// One entry of tokenizer.json's `added_tokens`.
struct AddedToken: Sendable {
    let id: Int
    let content: String
    let singleWord: Bool
    let lstrip: Bool
    let rstrip: Bool
    let normalized: Bool
    let special: Bool
}

/// A stretch of input after added-token extraction.
enum TextSegment {
    /// Text to normalize / pre-tokenize / encode. `startsText`: it begins at the start of the input.
    case text(String, startsText: Bool)
    /// An added token, already an id.
    case token(Int)
}

/// Finds a set of added tokens in text.
struct AddedTokenMatcher: Sendable {
    private struct Node: Sendable {
        var children: [UInt8: Int32] = [:]
        /// Index into `tokens` of the token ending here, -1 if none.
        var token: Int32 = -1
    }

    private var nodes: [Node] = [Node()]
    private var firstBytes = [Bool](repeating: false, count: 256)
    private var tokens: [AddedToken] = []

    /// `patterns`: each token with the text to match for it (its content, or its normalized content).
    init(_ patterns: [(token: AddedToken, pattern: String)]) {
        for (token, pattern) in patterns where !pattern.isEmpty {
            var node = 0
            for byte in pattern.utf8 {
                if let child = nodes[node].children[byte] {
                    node = Int(child)
                } else {
                    nodes.append(Node())
                    nodes[node].children[byte] = Int32(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
            // The first token with a given pattern wins (HF's automaton keeps the first pattern id).
            if nodes[node].token < 0 {
                nodes[node].token = Int32(tokens.count)
                tokens.append(token)
            }
            firstBytes[Int(pattern.utf8.first!)] = true
        }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// The longest pattern starting at `start`: (token, end byte offset).
    private func longestMatch(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> (AddedToken, Int)? {
        var node = 0
        var best: (AddedToken, Int)? = nil
        var index = start
        while index < bytes.count, let child = nodes[node].children[bytes[index]] {
            node = Int(child)
            index += 1
            if nodes[node].token >= 0 { best = (tokens[Int(nodes[node].token)], index) }
        }
        return best
    }

    /// added_vocabulary.rs `find_matches` + `split_with_indices`: the text cut into plain stretches and
    /// added tokens. `startsText` tells whether `text` begins the input.
    func split(_ text: String, startsText: Bool) -> [TextSegment] {
        if isEmpty || text.isEmpty { return [.text(text, startsText: startsText)] }
        let utf8 = Array(text.utf8)
        var segments: [TextSegment] = []
        utf8.withUnsafeBufferPointer { bytes in
            var consumed = 0  // end of the previous added token (HF: start_offset)
            var searchFrom = 0
            while searchFrom < bytes.count {
                guard firstBytes[Int(bytes[searchFrom])], let (token, matchEnd) = longestMatch(bytes, at: searchFrom)
                else {
                    searchFrom += 1
                    continue
                }
                var start = searchFrom
                var stop = matchEnd
                // The automaton resumes after this match whether or not it is kept.
                searchFrom = matchEnd
                if token.singleWord {
                    let startIsBoundary = start == 0 || !Self.endsWithWordCharacter(bytes, before: start)
                    let stopIsBoundary = stop == bytes.count || !Self.startsWithWordCharacter(bytes, at: stop)
                    if !startIsBoundary || !stopIsBoundary { continue }
                }
                if token.lstrip {
                    start = max(Self.startOfTrailingWhitespace(bytes, before: start), consumed)
                }
                if token.rstrip {
                    stop = Self.endOfLeadingWhitespace(bytes, from: stop)
                }
                if consumed < start {
                    segments.append(
                        .text(Self.string(bytes, consumed..<start), startsText: startsText && consumed == 0))
                }
                segments.append(.token(token.id))
                consumed = stop
                // HF resumes right after the match even when rstrip took the whitespace after it, and
                // a token found inside that whitespace would then overlap; resuming after the
                // whitespace keeps segments disjoint (only whitespace-led added tokens differ).
                searchFrom = max(searchFrom, stop)
            }
            if consumed < bytes.count {
                segments.append(.text(Self.string(bytes, consumed..<bytes.count), startsText: startsText && consumed == 0))
            }
        }
        return segments
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Decodes the scalar that ends right before byte offset `end`.
    private static func scalar(before end: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (Unicode.Scalar, Int)? {
        guard end > 0 else { return nil }
        var start = end - 1
        while start > 0, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        let string = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        guard let scalar = string.unicodeScalars.first else { return nil }
        return (scalar, start)
    }

    private static func scalar(at start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (Unicode.Scalar, Int)? {
        guard start < bytes.count else { return nil }
        var end = start + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let string = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        guard let scalar = string.unicodeScalars.first else { return nil }
        return (scalar, end)
    }

    /// `\w$` on bytes[..<end].
    private static func endsWithWordCharacter(_ bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> Bool {
        guard let (scalar, _) = scalar(before: end, in: bytes) else { return false }
        return UnicodeClass.isWordCharacter(scalar)
    }

    /// `^\w` on bytes[start...].
    private static func startsWithWordCharacter(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        guard let (scalar, _) = scalar(at: start, in: bytes) else { return false }
        return UnicodeClass.isWordCharacter(scalar)
    }

    /// Start of the `\s*$` run of bytes[..<end].
    private static func startOfTrailingWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
        var position = end
        while let (scalar, start) = scalar(before: position, in: bytes), UnicodeClass.isWhitespace(scalar) {
            position = start
        }
        return position
    }

    /// End of the `^\s*` run of bytes[start...].
    private static func endOfLeadingWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var position = start
        while let (scalar, end) = scalar(at: position, in: bytes), UnicodeClass.isWhitespace(scalar) {
            position = end
        }
        return position
    }
}

extension AddedToken {
    init(json: JSONValue) throws(ConfigurationError) {
        guard let id = json["id"]?.intValue, id >= 0, id < 1 << 24 else {
            throw .invalid("added_tokens: an entry has no valid \"id\"")
        }
        guard let content = json["content"]?.stringValue else {
            throw .invalid("added_tokens: entry \(id) has no \"content\"")
        }
        let special = json["special"]?.boolValue ?? false
        self.init(
            id: id, content: content,
            singleWord: json["single_word"]?.boolValue ?? false,
            lstrip: json["lstrip"]?.boolValue ?? false,
            rstrip: json["rstrip"]?.boolValue ?? false,
            // AddedToken's default: special tokens are not normalized, others are.
            normalized: json["normalized"]?.boolValue ?? !special,
            special: special)
    }
}
