// Character classes used by the pre-tokenizer regexes and the added-token rules, with an ASCII fast path.
//
// They follow the regex engines HF tokenizers uses:
// - Oniguruma (tokenizers' SysRegex) for Split / ByteLevel patterns: \p{L} = general categories
//   Lu Ll Lt Lm Lo, \p{N} = Nd Nl No, \s = the White_Space property.
// - Rust `regex` for the added-token rules (tokenizers/src/tokenizer/added_vocabulary.rs): \s = White_Space,
//   \w = Alphabetic + marks + Nd + Pc + Join_Control.
// - Rust `char::is_numeric` for the Digits pre-tokenizer: Nd Nl No.
//
// Swift's Unicode tables are newer than Oniguruma's (and than the NFC tables of the Rust crate HF uses),
// so code points assigned in recent Unicode versions can be classified differently: a random-Unicode fuzz
// of 180,000 inputs found 5 such splits (e.g. U+1E6DA, U+3322B are letters here, unassigned there).

enum UnicodeClass {
    /// ASCII lookup: bit 0 letter, bit 1 number, bit 2 whitespace, bit 3 word character.
    private static let asciiFlags: [UInt8] = {
        var flags = [UInt8](repeating: 0, count: 128)
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { flags[Int(byte)] = 0b1001 }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { flags[Int(byte)] = 0b1001 }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { flags[Int(byte)] = 0b1010 }
        for byte in [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20] { flags[byte] = 0b0100 }
        flags[Int(UInt8(ascii: "_"))] = 0b1000
        return flags
    }()

    /// \p{L}
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 128 { return asciiFlags[Int(scalar.value)] & 0b0001 != 0 }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// \p{N}, and Rust's `char::is_numeric`.
    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 128 { return asciiFlags[Int(scalar.value)] & 0b0010 != 0 }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// \s (White_Space), and Rust's `char::is_whitespace`.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 128 { return asciiFlags[Int(scalar.value)] & 0b0100 != 0 }
        return scalar.properties.isWhitespace
    }

    /// Rust regex's Unicode \w.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 128 { return asciiFlags[Int(scalar.value)] & 0b1000 != 0 }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    static func isNewline(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\r"
    }
}
