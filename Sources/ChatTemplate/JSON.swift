// JSON in both directions, keeping dictionary key order.
//   - JSONWriter is Python's json.dumps as transformers' `tojson` filter calls it:
//     json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False), so
//     `{"a": 1, "b": [1.5, null]}` with ", " and ": " separators, floats in Python's repr.
//   - TemplateValue(json:) reads JSON (chat_template.json, tokenizer_config.json, a tools list)
//     without Foundation's JSONSerialization, which would lose key order.

enum JSONWriter {
    static func encode(_ value: Value, ensureASCII: Bool, indent: Value?, separators: Value?, sortKeys: Bool, line: Int) throws -> String {
        var indentUnit: String? = nil
        if let indent, !indent.isNone {
            if case .string(let s) = indent { indentUnit = s } else { indentUnit = String(repeating: " ", count: max(0, indent.integerValue ?? 0)) }
        }
        var itemSeparator = indentUnit == nil ? ", " : ","
        var keySeparator = ": "
        if let separators, !separators.isNone {
            guard case .tuple(let parts) = separators, parts.count == 2 else {
                if case .array(let parts) = separators, parts.count == 2 {
                    itemSeparator = parts[0].pythonString
                    keySeparator = parts[1].pythonString
                    return try write(value, ensureASCII, indentUnit, itemSeparator, keySeparator, sortKeys, level: 0, line: line)
                }
                throw TemplateError(.type, "separators must be a pair of strings", line: line)
            }
            itemSeparator = parts[0].pythonString
            keySeparator = parts[1].pythonString
        }
        return try write(value, ensureASCII, indentUnit, itemSeparator, keySeparator, sortKeys, level: 0, line: line)
    }

    private static func write(_ value: Value, _ ascii: Bool, _ indent: String?, _ itemSeparator: String, _ keySeparator: String,
                              _ sortKeys: Bool, level: Int, line: Int) throws -> String
    {
        func container(_ open: String, _ close: String, _ parts: [String]) -> String {
            guard !parts.isEmpty else { return open + close }
            guard let indent else { return open + parts.joined(separator: itemSeparator) + close }
            let inner = "\n" + String(repeating: indent, count: level + 1)
            return open + inner + parts.joined(separator: itemSeparator + inner) + "\n" + String(repeating: indent, count: level) + close
        }
        switch value {
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
            return pythonFloatRepr(d)
        case .string(let s), .markup(let s): return quote(s, ascii: ascii)
        case .array(let items), .tuple(let items):
            return container("[", "]", try items.map {
                try write($0, ascii, indent, itemSeparator, keySeparator, sortKeys, level: level + 1, line: line)
            })
        case .dictionary(let d):
            var keys = d.keys
            if sortKeys { keys.sort { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) } }
            return container("{", "}", try keys.map { key in
                quote(key, ascii: ascii) + keySeparator
                    + (try write(d[key]!, ascii, indent, itemSeparator, keySeparator, sortKeys, level: level + 1, line: line))
            })
        case .undefined(let hint):
            throw TemplateError(.undefined, hint.message, line: line)
        default:
            throw TemplateError(.type, "Object of type \(value.pythonTypeName) is not JSON serializable", line: line)
        }
    }

    /// json.encoder: escape `"`, `\`, and control characters; non-ASCII as \uXXXX only if ensure_ascii.
    static func quote(_ s: String, ascii: Bool) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else if ascii && scalar.value > 0x7E {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += "\\u" + hex(0xD800 + (v >> 10), width: 4) + "\\u" + hex(0xDC00 + (v & 0x3FF), width: 4)
                    } else {
                        out += "\\u" + hex(scalar.value, width: 4)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension TemplateValue {
    /// Parses JSON text, keeping object keys in the order they appear. Numbers without a fraction
    /// or exponent become `.int` (as Python's json module makes them int), others `.double`.
    public init(json text: String) throws {
        var reader = JSONReader(Array(text.unicodeScalars))
        reader.skipWhitespace()
        self = try reader.readValue()
        reader.skipWhitespace()
        guard reader.atEnd else { throw reader.error("unexpected text after the JSON value") }
    }
}

private struct JSONReader {
    let scalars: [Unicode.Scalar]
    var position = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var atEnd: Bool { position >= scalars.count }

    func error(_ message: String) -> TemplateError {
        TemplateError(.syntax, "JSON: \(message) at offset \(position)")
    }

    mutating func skipWhitespace() {
        while position < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[position]) { position += 1 }
    }

    mutating func readValue() throws -> TemplateValue {
        guard position < scalars.count else { throw error("unexpected end") }
        switch scalars[position] {
        case "{":
            position += 1
            var dictionary = TemplateDictionary()
            skipWhitespace()
            if consume("}") { return .dictionary(dictionary) }
            while true {
                skipWhitespace()
                guard position < scalars.count, scalars[position] == "\"" else { throw error("expected a string key") }
                let key = try readString()
                skipWhitespace()
                guard consume(":") else { throw error("expected ':'") }
                skipWhitespace()
                dictionary[key] = try readValue()
                skipWhitespace()
                if consume(",") { continue }
                guard consume("}") else { throw error("expected ',' or '}'") }
                return .dictionary(dictionary)
            }
        case "[":
            position += 1
            var items: [TemplateValue] = []
            skipWhitespace()
            if consume("]") { return .array(items) }
            while true {
                skipWhitespace()
                items.append(try readValue())
                skipWhitespace()
                if consume(",") { continue }
                guard consume("]") else { throw error("expected ',' or ']'") }
                return .array(items)
            }
        case "\"":
            return .string(try readString())
        case "t":
            guard consumeWord("true") else { throw error("invalid literal") }
            return .bool(true)
        case "f":
            guard consumeWord("false") else { throw error("invalid literal") }
            return .bool(false)
        case "n":
            guard consumeWord("null") else { throw error("invalid literal") }
            return .none
        default:
            return try readNumber()
        }
    }

    private mutating func consume(_ c: Unicode.Scalar) -> Bool {
        guard position < scalars.count, scalars[position] == c else { return false }
        position += 1
        return true
    }

    private mutating func consumeWord(_ word: String) -> Bool {
        let w = Array(word.unicodeScalars)
        guard position + w.count <= scalars.count, Array(scalars[position..<(position + w.count)]) == w else { return false }
        position += w.count
        return true
    }

    private mutating func readNumber() throws -> TemplateValue {
        let start = position
        var isInteger = true
        while position < scalars.count, "+-0123456789.eE".unicodeScalars.contains(scalars[position]) {
            if [".", "e", "E"].contains(scalars[position]) { isInteger = false }
            position += 1
        }
        let text = String(String.UnicodeScalarView(scalars[start..<position]))
        if isInteger, let i = Int(text) { return .int(i) }
        guard !text.isEmpty, let d = Double(text) else { throw error("invalid number '\(text)'") }
        return .double(d)
    }

    private mutating func readString() throws -> String {
        position += 1  // opening quote
        var out = String.UnicodeScalarView()
        while position < scalars.count {
            let c = scalars[position]
            position += 1
            switch c {
            case "\"":
                return String(out)
            case "\\":
                guard position < scalars.count else { throw error("unterminated escape") }
                let e = scalars[position]
                position += 1
                switch e {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "/": out.append("/")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    var code = try readHex4()
                    if (0xD800..<0xDC00).contains(code), consumeWord("\\u") {
                        let low = try readHex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                    out.append(scalar)
                default:
                    throw error("invalid escape '\\\(e)'")
                }
            default:
                out.append(c)
            }
        }
        throw error("unterminated string")
    }

    private mutating func readHex4() throws -> UInt32 {
        guard position + 4 <= scalars.count,
              let v = UInt32(String(String.UnicodeScalarView(scalars[position..<(position + 4)])), radix: 16)
        else { throw error("invalid \\u escape") }
        position += 4
        return v
    }
}
