// Swift compares and hashes Strings by canonical equivalence: "é" (U+00E9) == "e\u{301}", and
// "ά" (U+03AC) == "ά" (U+1F71). Vocabularies hold such pairs as different tokens (LLaMA-2 has both
// alphas), and an NFD word must not hit the cache entry of its NFC twin. Lookups keyed by text
// therefore compare UTF-8 bytes, as Rust does: the vocabulary in its own byte table (Vocabulary), the
// added tokens and the word cache through this wrapper.

/// A String compared and hashed by its UTF-8 bytes.
struct ExactString: Hashable, Sendable, CustomStringConvertible {
    let string: String

    init(_ string: String) {
        var string = string
        string.makeContiguousUTF8()
        self.string = string
    }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        var left = lhs.string
        var right = rhs.string
        return left.withUTF8 { leftBytes in
            right.withUTF8 { rightBytes in
                leftBytes.count == rightBytes.count
                    && (leftBytes.count == 0
                        || memcmp(leftBytes.baseAddress!, rightBytes.baseAddress!, leftBytes.count) == 0)
            }
        }
    }

    func hash(into hasher: inout Hasher) {
        var string = string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    var description: String { string }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
