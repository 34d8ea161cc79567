import Foundation

// Python's operators on template values, as jinja2 evaluates them (it hands them to Python):
// ints and floats mix, bool counts as an int, `/` always gives a float, `//` and `%` floor toward
// negative infinity, `+` joins strings and lists but refuses str + int, comparisons chain, equality
// across types is False rather than an error, ordering across types is a TypeError.
// Any operand that is Undefined raises UndefinedError, except where jinja2's Undefined allows it
// (==, !=, `in`, truthiness, `~`).

extension Evaluator {
    func binary(_ op: BinaryOperator, _ left: Value, _ right: Value, line: Int) throws -> Value {
        if op == .concat { return .string(try outputText(left, line: line) + outputText(right, line: line)) }
        if case .undefined(let hint) = left { throw TemplateError(.undefined, hint.message, line: line) }
        if case .undefined(let hint) = right { throw TemplateError(.undefined, hint.message, line: line) }
        // markupsafe: Markup + str escapes the str (and str + Markup too, through Markup.__radd__).
        if op == .add {
            switch (left, right) {
            case (.markup(let a), .markup(let b)): return .markup(a + b)
            case (.markup(let a), .string(let b)): return .markup(a + htmlEscape(b))
            case (.string(let a), .markup(let b)): return .markup(htmlEscape(a) + b)
            default: break
            }
        }
        let left = left.unmarked, right = right.unmarked
        switch op {
        case .add: return try add(left, right, line: line)
        case .subtract:
            return try arithmetic(left, right, "-", line: line, int: { $0.subtractingReportingOverflow($1) }, double: { $0 - $1 })
        case .multiply: return try multiply(left, right, line: line)
        case .divide:
            guard let a = left.numericValue, let b = right.numericValue else { throw unsupportedOperands("/", left, right, line: line) }
            guard b != 0 else { throw TemplateError(.runtime, "division by zero", line: line) }
            return .double(a / b)
        case .floorDivide:
            if let a = left.integerValue, let b = right.integerValue {
                guard b != 0 else { throw TemplateError(.runtime, "integer division or modulo by zero", line: line) }
                return .int(floorDivide(a, b))
            }
            guard let a = left.numericValue, let b = right.numericValue else { throw unsupportedOperands("//", left, right, line: line) }
            guard b != 0 else { throw TemplateError(.runtime, "float floor division by zero", line: line) }
            return .double((a / b).rounded(.down))
        case .modulo:
            if case .string(let format) = left { return .string(try percentFormat(format, right, line: line)) }
            if let a = left.integerValue, let b = right.integerValue {
                guard b != 0 else { throw TemplateError(.runtime, "integer modulo by zero", line: line) }
                return .int(a - floorDivide(a, b) * b)
            }
            guard let a = left.numericValue, let b = right.numericValue else { throw unsupportedOperands("%", left, right, line: line) }
            guard b != 0 else { throw TemplateError(.runtime, "float modulo", line: line) }
            let remainder = a.truncatingRemainder(dividingBy: b)
            return .double(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case .power: return try power(left, right, line: line)
        case .concat, .and, .or: fatalError("handled by the caller")
        }
    }

    private func floorDivide(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private func add(_ left: Value, _ right: Value, line: Int) throws -> Value {
        switch (left, right) {
        case (.string(let a), .string(let b)): return .string(a + b)
        case (.array(let a), .array(let b)): return .array(a + b)
        case (.tuple(let a), .tuple(let b)): return .tuple(a + b)
        case (.string, _), (.array, _), (.tuple, _):
            throw TemplateError(.type, "can only concatenate \(left.pythonTypeName) (not \"\(right.pythonTypeName)\") to \(left.pythonTypeName)", line: line)
        default:
            return try arithmetic(left, right, "+", line: line, int: { $0.addingReportingOverflow($1) }, double: { $0 + $1 })
        }
    }

    private func multiply(_ left: Value, _ right: Value, line: Int) throws -> Value {
        func repeated<T>(_ items: [T], _ times: Int) -> [T] {
            times <= 0 ? [] : Array([[T]](repeating: items, count: times).joined())
        }
        switch (left, right) {
        case (.string(let s), _), (_, .string(let s)):
            let other = left.isString ? right : left
            guard let times = other.integerValue else {
                throw TemplateError(.type, "can't multiply sequence by non-int of type '\(other.pythonTypeName)'", line: line)
            }
            return .string(times <= 0 ? "" : String(repeating: s, count: times))
        case (.array(let items), _), (_, .array(let items)):
            let other = left.isArray ? right : left
            guard let times = other.integerValue else {
                throw TemplateError(.type, "can't multiply sequence by non-int of type '\(other.pythonTypeName)'", line: line)
            }
            return .array(repeated(items, times))
        default:
            return try arithmetic(left, right, "*", line: line, int: { $0.multipliedReportingOverflow(by: $1) }, double: { $0 * $1 })
        }
    }

    private func power(_ left: Value, _ right: Value, line: Int) throws -> Value {
        if let base = left.integerValue, let exponent = right.integerValue, exponent >= 0 {
            var result = 1
            for _ in 0..<exponent {
                let (product, overflow) = result.multipliedReportingOverflow(by: base)
                if overflow { throw TemplateError(.unsupported, "integer result beyond 64 bits", line: line) }
                result = product
            }
            return .int(result)
        }
        guard let a = left.numericValue, let b = right.numericValue else { throw unsupportedOperands("**", left, right, line: line) }
        if a == 0 && b < 0 { throw TemplateError(.runtime, "0.0 cannot be raised to a negative power", line: line) }
        return .double(pow(a, b))
    }

    private func arithmetic(_ left: Value, _ right: Value, _ symbol: String, line: Int,
                            int: (Int, Int) -> (partialValue: Int, overflow: Bool), double: (Double, Double) -> Double) throws -> Value
    {
        if let a = left.integerValue, let b = right.integerValue {
            let (result, overflow) = int(a, b)
            if overflow { throw TemplateError(.unsupported, "integer result beyond 64 bits", line: line) }
            return .int(result)
        }
        guard let a = left.numericValue, let b = right.numericValue else { throw unsupportedOperands(symbol, left, right, line: line) }
        return .double(double(a, b))
    }

    private func unsupportedOperands(_ symbol: String, _ left: Value, _ right: Value, line: Int) -> TemplateError {
        TemplateError(.type, "unsupported operand type(s) for \(symbol): '\(left.pythonTypeName)' and '\(right.pythonTypeName)'", line: line)
    }

    func negate(_ value: Value, line: Int) throws -> Value {
        switch value {
        case .undefined(let hint): throw TemplateError(.undefined, hint.message, line: line)
        case .int(let i):
            guard i != Int.min else { throw TemplateError(.unsupported, "integer result beyond 64 bits", line: line) }
            return .int(-i)
        case .bool(let b): return .int(b ? -1 : 0)
        case .double(let d): return .double(-d)
        default: throw TemplateError(.type, "bad operand type for unary -: '\(value.pythonTypeName)'", line: line)
        }
    }

    func unaryPlus(_ value: Value, line: Int) throws -> Value {
        switch value {
        case .undefined(let hint): throw TemplateError(.undefined, hint.message, line: line)
        case .int, .double: return value
        case .bool(let b): return .int(b ? 1 : 0)
        default: throw TemplateError(.type, "bad operand type for unary +: '\(value.pythonTypeName)'", line: line)
        }
    }

    // MARK: - Comparison

    func compare(_ left: Value, _ op: CompareOperator, _ right: Value, line: Int) throws -> Bool {
        let left = left.unmarked, right = right.unmarked
        switch op {
        case .equal: return pythonEquals(left, right)
        case .notEqual: return !pythonEquals(left, right)
        case .in: return try contains(right, left, line: line)
        case .notIn: return !(try contains(right, left, line: line))
        case .less: return try pythonLess(left, right, symbol: "<", line: line)
        case .greater: return try pythonLess(right, left, symbol: ">", line: line, swapped: true)
        case .lessEqual: return try !pythonLess(right, left, symbol: "<=", line: line, swapped: true)
        case .greaterEqual: return try !pythonLess(left, right, symbol: ">=", line: line)
        }
    }

    /// Python `a < b`. For <= and >= it is called with the operands swapped, so the error message
    /// names the operand types in the order the template wrote them.
    func pythonLess(_ a: Value, _ b: Value, symbol: String, line: Int, swapped: Bool = false) throws -> Bool {
        let a = a.unmarked, b = b.unmarked
        if case .undefined(let hint) = a { throw TemplateError(.undefined, hint.message, line: line) }
        if case .undefined(let hint) = b { throw TemplateError(.undefined, hint.message, line: line) }
        if let x = a.integerValue, let y = b.integerValue { return x < y }
        if let x = a.numericValue, let y = b.numericValue { return x < y }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        case (.array(let x), .array(let y)), (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) where !pythonEquals(p, q) {
                return try pythonLess(p, q, symbol: symbol, line: line)
            }
            return x.count < y.count
        default:
            let (first, second) = swapped ? (b, a) : (a, b)
            throw TemplateError(.type, "'\(symbol)' not supported between instances of '\(first.pythonTypeName)' and '\(second.pythonTypeName)'", line: line)
        }
    }

    /// Python `item in container`.
    func contains(_ container: Value, _ item: Value, line: Int) throws -> Bool {
        let container = container.unmarked, item = item.unmarked
        switch container {
        case .undefined: return false
        case .string(let s):
            guard case .string(let needle) = item else {
                throw TemplateError(.type, "'in <string>' requires string as left operand, not \(item.pythonTypeName)", line: line)
            }
            return findScalars(needle, in: s, from: 0) != nil
        case .array(let items), .tuple(let items): return items.contains { pythonEquals($0, item) }
        case .dictionary(let d):
            if case .string(let key) = item { return d[key] != nil }
            return false
        case .namespace(let ns):
            if case .string(let key) = item { return ns.attributes[key] != nil }
            return false
        case .iterator(let state):
            // Python consumes the iterator up to and including the match.
            while let next = state.next() { if pythonEquals(next, item) { return true } }
            return false
        default:
            throw TemplateError(.type, "argument of type '\(container.pythonTypeName)' is not iterable", line: line)
        }
    }
}

/// Python `==` (jinja2's Undefined equals only another Undefined).
func pythonEquals(_ a: Value, _ b: Value) -> Bool {
    let a = a.unmarked, b = b.unmarked
    switch (a, b) {
    case (.undefined, .undefined): return true
    case (.undefined, _), (_, .undefined): return false
    case (.none, .none): return true
    case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case (.array(let x), .array(let y)), (.tuple(let x), .tuple(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { pythonEquals($0, $1) }
    case (.dictionary(let x), .dictionary(let y)):
        return x.count == y.count && x.pairs.allSatisfy { pair in y[pair.key].map { pythonEquals(pair.value, $0) } ?? false }
    case (.namespace(let x), .namespace(let y)): return x === y
    case (.loop(let x), .loop(let y)): return x === y
    case (.iterator(let x), .iterator(let y)): return x === y
    default:
        if let x = a.integerValue, let y = b.integerValue { return x == y }
        if let x = a.numericValue, let y = b.numericValue { return x == y }
        return false
    }
}

/// markupsafe.escape for a plain str.
func htmlEscape(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// Offset (in scalars) of the first occurrence of `needle` in `haystack` at or after `start`.
/// Works on Unicode scalars, as Python does on code points, rather than on grapheme clusters.
func findScalars(_ needle: String, in haystack: String, from start: Int) -> Int? {
    let h = Array(haystack.unicodeScalars), n = Array(needle.unicodeScalars)
    if n.isEmpty { return start <= h.count ? start : nil }
    guard h.count >= n.count, start <= h.count - n.count else { return nil }
    outer: for i in start...(h.count - n.count) {
        for j in 0..<n.count where h[i + j] != n[j] { continue outer }
        return i
    }
    return nil
}

extension Value {
    var isString: Bool {
        if case .string = self { return true }
        return false
    }

    var isArray: Bool {
        if case .array = self { return true }
        return false
    }
}
