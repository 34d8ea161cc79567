// GPT-2's byte-to-character table: every byte gets a printable character so that byte-level BPE
// vocabularies can be stored as text ("Ġ" is the space byte 0x20).
// Mirrors `bytes_char()` in tokenizers/src/pre_tokenizers/byte_level.rs (and GPT-2's bytes_to_unicode).

enum ByteLevel {
    /// byte -> character.
    static let characterForByte: [Unicode.Scalar] = {
        var printable: [Int] = []
        printable += Array(0x21...0x7E)  // '!' ... '~'
        printable += Array(0xA1...0xAC)  // '¡' ... '¬'
        printable += Array(0xAE...0xFF)  // '®' ... 'ÿ'
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var isPrintable = [Bool](repeating: false, count: 256)
        for byte in printable {
            table[byte] = Unicode.Scalar(UInt32(byte))!
            isPrintable[byte] = true
        }
        var next: UInt32 = 256
        for byte in 0..<256 where !isPrintable[byte] {
            table[byte] = Unicode.Scalar(next)!
            next += 1
        }
        return table
    }()

    /// character value -> byte, for the 256 characters of the table (all below U+0144); -1 elsewhere.
    static let byteForCharacter: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in characterForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteForCharacter.count, byteForCharacter[value] >= 0 else { return nil }
        return UInt8(byteForCharacter[value])
    }

    /// The pre-tokenizer's transform: each UTF-8 byte of the text becomes its character.
    static func encode(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        for scalar in scalars {
            if scalar.value < 0x80 {
                result.append(characterForByte[Int(scalar.value)])
            } else {
                for byte in String(scalar).utf8 { result.append(characterForByte[Int(byte)]) }
            }
        }
        return result
    }

    /// The decoder's transform for one token: its characters back to bytes. A token with a character
    /// outside the table (an added token such as "<｜end▁of▁sentence｜>") gives its own UTF-8 bytes,
    /// as `ByteLevel::decode_chain` does.
    static func decode(token: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return Array(token.utf8) }
            bytes.append(byte)
        }
        return bytes
    }
}
