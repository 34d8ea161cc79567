// How Python turns values into text, because that is what jinja2 outputs: `{{ x }}` is `str(x)`, a
// list prints as `['a', 1]` (the repr of each item), a float prints as its shortest round-trip repr
// with Python's own switch to exponent notation (`1e-05`, `1e+16`, but `1000000000000000.0`).

extension Value {
    /// Python `str(value)`; Undefined renders as the empty string (jinja2.runtime.Undefined.__str__).
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case .string(let s), .markup(let s): return s
        default: return pythonRepr
        }
    }

    /// Python `repr(value)`.
    var pythonRepr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return pythonFloatRepr(d)
        case .string(let s): return pythonStringRepr(s)
        case .markup(let s): return "Markup(" + pythonStringRepr(s) + ")"
        case .iterator(let state): return "<\(state.typeName) object>"
        case .array(let items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .tuple(let items):
            if items.count == 1 { return "(" + items[0].pythonRepr + ",)" }
            return "(" + items.map(\.pythonRepr).joined(separator: ", ") + ")"
        case .dictionary(let d):
            return "{" + d.pairs.map { pythonStringRepr($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let ns):
            return "<Namespace " + Value.dictionary(ns.attributes).pythonRepr + ">"
        case .loop(let loop): return "<LoopContext \(loop.index0 + 1)/\(loop.items.count)>"
        case .callable(let c):
            switch c {
            case .global(let name): return "<function \(name)>"
            case .method(let receiver, let name): return "<built-in method \(name) of \(receiver.pythonTypeName) object>"
            case .macro(let m): return "<Macro '\(m.definition.name)'>"
            case .loopCycle: return "<bound method LoopContext.cycle>"
            }
        }
    }
}

extension Evaluator {
    /// The text `{{ value }}` or `~` produces. A generator prints as its memory address in Python
    /// (`<generator object ... at 0x7f...>`), which no one can reproduce: that is refused, not faked.
    func outputText(_ value: Value, line: Int) throws -> String {
        if case .iterator(let state) = value {
            throw TemplateError(.unsupported, "printing a \(state.typeName) object (jinja2 prints its memory address; add '| list')", line: line)
        }
        return value.pythonString
    }
}

/// Python's repr of a str: single quotes unless the text has a ' and no ", escapes for the quote,
/// backslash and non-printable characters.
func pythonStringRepr(_ s: String) -> String {
    let quote: Character = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if Character(scalar) == quote {
                out += "\\" + String(quote)
            } else if isPythonPrintable(scalar) {
                out.unicodeScalars.append(scalar)
            } else if scalar.value <= 0xFF {
                out += "\\x" + hex(scalar.value, width: 2)
            } else if scalar.value <= 0xFFFF {
                out += "\\u" + hex(scalar.value, width: 4)
            } else {
                out += "\\U" + hex(scalar.value, width: 8)
            }
        }
    }
    out.append(quote)
    return out
}

/// str.isprintable() for one character: everything but controls, formats, surrogates, private use,
/// unassigned and separators other than the plain space.
private func isPythonPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == " " { return true }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}

func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// Python's `repr(float)`: the shortest digits that round-trip (Swift's `description` finds the same
/// digits), laid out by Python's rule: exponent form when the decimal point is more than 16 places
/// right or 4 or more places left of the first digit (CPython format_float_short with mode 'r').
func pythonFloatRepr(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    let (negative, digits, decimalPoint) = shortestDigits(value)
    let sign = negative ? "-" : ""
    if digits.isEmpty { return sign + "0.0" }
    if decimalPoint <= -4 || decimalPoint > 16 {
        var mantissa = String(digits.first!)
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let exponent = decimalPoint - 1
        let exponentDigits = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (exponentDigits.count < 2 ? "0" : "") + exponentDigits
    }
    if decimalPoint <= 0 {
        return sign + "0." + String(repeating: "0", count: -decimalPoint) + digits
    }
    if decimalPoint >= digits.count {
        return sign + digits + String(repeating: "0", count: decimalPoint - digits.count) + ".0"
    }
    let split = digits.index(digits.startIndex, offsetBy: decimalPoint)
    return sign + digits[..<split] + "." + digits[split...]
}

/// The significant digits of `value` (no leading or trailing zeros) and the position of the decimal
/// point relative to them: value = 0.d1d2d3... × 10^decimalPoint.
private func shortestDigits(_ value: Double) -> (negative: Bool, digits: String, decimalPoint: Int) {
    var text = value.description  // e.g. "123.45", "1e-05", "1.5e+20", "-0.0"
    var negative = false
    if text.hasPrefix("-") {
        negative = true
        text.removeFirst()
    }
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let integerPart = String(parts[0])
    let fractionPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = integerPart + fractionPart
    var decimalPoint = integerPart.count + exponent
    while digits.hasPrefix("0") {
        digits.removeFirst()
        decimalPoint -= 1
    }
    while digits.hasSuffix("0") { digits.removeLast() }
    return (negative, digits, digits.isEmpty ? 0 : decimalPoint)
}
