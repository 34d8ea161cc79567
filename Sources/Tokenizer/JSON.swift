// A small JSON reader for tokenizer.json. (tokenizer_config.json is small: JSONDecoder reads it, so
// that its fields are typed and a wrong type is an error naming the field.)
//
// Why not JSONSerialization or JSONDecoder: a 150k-token tokenizer.json (Qwen2: 5 MB, LLaMA-3: 7 MB with
// 280k merges) takes 0.4-0.5 s in JSONSerialization alone on Linux, before any of it is turned into
// Swift dictionaries. This parser works on the UTF-8 bytes. The big members (the model's "vocab" and
// "merges") can be deferred: skipped in the tree and then read in place with the streaming methods
// (`readObject`, `readArray`, `readString`), so no String or JSONValue is made per token.

import Foundation

/// One parsed JSON value.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in file order. A repeated key keeps every occurrence; `subscript` returns the last one,
    /// as serde_json (which tokenizers uses) does.
    case object([(key: String, value: JSONValue)])
    /// A value left unparsed, by its byte range in the input (see `JSONParser.parse(_:deferring:)`).
    case deferred(Range<Int>)

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as an integer, when it is a number with no fractional part that fits an Int.
    var intValue: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    var objectMembers: [(key: String, value: JSONValue)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// A short name of the kind of value, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        case .deferred: return "an unparsed value"
        }
    }
}

struct JSONParseError: Error, CustomStringConvertible {
    let message: String
    let offset: Int
    var description: String { "\(message) at byte \(offset)" }
}

/// Recursive-descent parser over UTF-8 bytes (RFC 8259; nesting limited to 512 levels).
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var depth = 0
    private static let maximumDepth = 512
    /// Key paths from the top (e.g. ["model", "vocab"]) whose values become `.deferred`.
    private let deferredPaths: [[String]]
    private let deferredDepth: Int
    /// Keys of the objects being parsed, while shallower than the deepest deferred path.
    private var path: [String] = []

    /// Parses a whole document. Values at `deferredPaths` are checked for balance but not built.
    static func parse(_ data: Data, deferring deferredPaths: [[String]] = []) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self), deferring: deferredPaths)
            return try parser.parseDocument()
        }
    }

    /// Runs `body` on a parser placed at the start of a deferred value of `data`; `body` must consume
    /// exactly that value.
    static func read<T>(_ data: Data, _ range: Range<Int>, _ body: (inout JSONParser) throws -> T) throws -> T {
        try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
                throw JSONParseError(message: "deferred range outside the data", offset: range.lowerBound)
            }
            var parser = JSONParser(bytes: UnsafeBufferPointer(rebasing: bytes[..<range.upperBound]), deferring: [])
            parser.position = range.lowerBound
            let result = try body(&parser)
            parser.skipWhitespace()
            if parser.position != range.upperBound { throw parser.error("unexpected data after the value") }
            return result
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, deferring deferredPaths: [[String]]) {
        self.bytes = bytes
        self.deferredPaths = deferredPaths
        self.deferredDepth = deferredPaths.map(\.count).max() ?? 0
    }

    private mutating func parseDocument() throws -> JSONValue {
        // A UTF-8 byte order mark is tolerated, as serde_json does not but editors sometimes write one.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position != bytes.count { throw error("unexpected data after the JSON value") }
        return value
    }

    func error(_ message: String) -> JSONParseError {
        JSONParseError(message: message, offset: position)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    // MARK: Streaming reads

    /// The first byte of the next value (after whitespace), or nil at the end.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    /// Reads any value as a tree.
    mutating func readValue() throws -> JSONValue {
        skipWhitespace()
        return try parseValue()
    }

    /// Reads an object, calling `member` with each key's UTF-8 bytes; `member` must read the value.
    mutating func readObject(_ member: (inout JSONParser, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") else { throw error("expected an object") }
        try enterContainer()
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a string key")
            }
            // A key without escapes is read in place; one with escapes is copied out, so that reading
            // the value cannot disturb it.
            let key = try scanString()
            switch key {
            case .inPlace(let range):
                try expectColon()
                try member(&self, UnsafeBufferPointer(rebasing: bytes[range]))
            case .unescaped(let copy):
                try expectColon()
                try copy.withUnsafeBufferPointer { try member(&self, $0) }
            }
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of data in an object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "}") {
                position += 1
                depth -= 1
                return
            } else {
                throw error("expected ',' or '}'")
            }
        }
    }

    /// Reads an array, calling `element` once per element; `element` must read it.
    mutating func readArray(_ element: (inout JSONParser) throws -> Void) throws {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else { throw error("expected an array") }
        try enterContainer()
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of data in an array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "]") {
                position += 1
                depth -= 1
                return
            } else {
                throw error("expected ',' or ']'")
            }
        }
    }

    /// Reads a string and calls `body` with its (unescaped, validated) UTF-8 bytes.
    mutating func readString<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a string") }
        switch try scanString() {
        case .inPlace(let range): return try body(UnsafeBufferPointer(rebasing: bytes[range]))
        case .unescaped(let copy): return try copy.withUnsafeBufferPointer { try body($0) }
        }
    }

    private mutating func expectColon() throws {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
        position += 1
    }

    // MARK: Tree parsing

    private mutating func parseValue() throws -> JSONValue {
        guard position < bytes.count else { throw error("unexpected end of data") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(Unicode.Scalar(bytes[position]))'")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of data") }
        let literalBytes = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for index in 0..<count where bytes[position + index] != literalBytes[index] {
            throw error("invalid literal")
        }
        position += count
    }

    private mutating func enterContainer() throws {
        depth += 1
        if depth > JSONParser.maximumDepth { throw error("nesting deeper than \(JSONParser.maximumDepth) levels") }
    }

    private mutating func parseObject() throws -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        let tracksPath = path.count < deferredDepth
        try readObject { parser, keyBytes in
            let key = String(decoding: keyBytes, as: UTF8.self)
            if tracksPath, parser.deferredPaths.contains(parser.path + [key]) {
                parser.skipWhitespace()
                let start = parser.position
                try parser.skipValue()
                members.append((key: key, value: .deferred(start..<parser.position)))
                return
            }
            if tracksPath { parser.path.append(key) }
            defer { if tracksPath { parser.path.removeLast() } }
            members.append((key: key, value: try parser.readValue()))
        }
        return .object(members)
    }

    private mutating func parseArray() throws -> JSONValue {
        var values: [JSONValue] = []
        // Deferred paths name object keys only; inside an array nothing is deferred.
        let tracksPath = path.count < deferredDepth
        if tracksPath { path.append("[]") }
        defer { if tracksPath { path.removeLast() } }
        try readArray { parser in values.append(try parser.readValue()) }
        return .array(values)
    }

    /// Skips a value, checking only its structure (strings are validated when a deferred value is read).
    private mutating func skipValue() throws {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of data") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            try readObject { parser, _ in try parser.skipValue() }
        case UInt8(ascii: "["):
            try readArray { parser in try parser.skipValue() }
        case UInt8(ascii: "\""):
            position += 1
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    return
                }
                if byte < 0x20 { throw error("control character in a string") }
                position += byte == UInt8(ascii: "\\") ? 2 : 1
            }
            throw error("unterminated string")
        default:
            _ = try parseValue()
        }
    }

    private enum ScannedString {
        /// No escapes: the bytes between the quotes.
        case inPlace(Range<Int>)
        /// Escapes resolved into a copy.
        case unescaped([UInt8])
    }

    private mutating func parseString() throws -> String {
        switch try scanString() {
        case .inPlace(let range): return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        case .unescaped(let copy): return String(decoding: copy, as: UTF8.self)
        }
    }

    /// Reads a string starting at its opening quote; its UTF-8 is validated (malformed UTF-8 is rejected,
    /// as serde_json does, not silently repaired).
    private mutating func scanString() throws -> ScannedString {
        position += 1  // opening quote
        let start = position
        var isASCII = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let range = start..<position
                position += 1
                if !isASCII, !UTF8Validation.isValid(UnsafeBufferPointer(rebasing: bytes[range])) {
                    throw JSONParseError(message: "invalid UTF-8 in a string", offset: start)
                }
                return .inPlace(range)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in a string") }
            if byte >= 0x80 { isASCII = false }
            position += 1
        }
        guard position < bytes.count else { throw error("unterminated string") }
        var buffer = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                guard UTF8Validation.isValid(buffer) else {
                    throw JSONParseError(message: "invalid UTF-8 in a string", offset: start)
                }
                return .unescaped(buffer)
            }
            if byte < 0x20 { throw error("control character in a string") }
            if byte != UInt8(ascii: "\\") {
                buffer.append(byte)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { throw error("unterminated escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5C)
            case UInt8(ascii: "/"): buffer.append(0x2F)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800..<0xDC00).contains(code) {
                    // A high surrogate must be followed by \u and a low surrogate.
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("unpaired surrogate in \\u escape") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(code) {
                    throw error("unpaired surrogate in \\u escape")
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                buffer.append(contentsOf: String(scalar).utf8)
            default:
                throw error("invalid escape '\\\(Unicode.Scalar(escape))'")
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }

    private mutating func parseNumber() throws -> Double {
        let start = position
        var isInteger = true
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) else {
            throw error("invalid number")
        }
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                position += 1
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                isInteger = false
                position += 1
            default:
                return try finishNumber(start: start, isInteger: isInteger)
            }
        }
        return try finishNumber(start: start, isInteger: isInteger)
    }

    private func finishNumber(start: Int, isInteger: Bool) throws -> Double {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
        if isInteger, slice.count <= 15 {
            // Token ids: a fast exact path without going through strtod.
            var value: Int = 0
            var negative = false
            for byte in slice {
                if byte == UInt8(ascii: "-") { negative = true } else { value = value * 10 + Int(byte - 48) }
            }
            return Double(negative ? -value : value)
        }
        guard let value = Double(String(decoding: slice, as: UTF8.self)), value.isFinite else {
            throw JSONParseError(message: "invalid number", offset: start)
        }
        return value
    }
}

/// UTF-8 well-formedness (Unicode Table 3-7), without building a String.
enum UTF8Validation {
    static func isValid<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var iterator = bytes.makeIterator()
        while let lead = iterator.next() {
            if lead < 0x80 { continue }
            let continuationCount: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: continuationCount = 1
            case 0xE0: continuationCount = 2; secondRange = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: continuationCount = 2
            case 0xED: continuationCount = 2; secondRange = 0x80...0x9F
            case 0xF0: continuationCount = 3; secondRange = 0x90...0xBF
            case 0xF1...0xF3: continuationCount = 3
            case 0xF4: continuationCount = 3; secondRange = 0x80...0x8F
            default: return false
            }
            guard let second = iterator.next(), secondRange.contains(second) else { return false }
            for _ in 1..<continuationCount {
                guard let next = iterator.next(), (0x80...0xBF).contains(next) else { return false }
            }
        }
        return true
    }
}
