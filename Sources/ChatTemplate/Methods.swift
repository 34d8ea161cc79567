import Foundation

// Python methods that chat templates call on values: `content.strip()`, `role.upper()`,
// `text.split('</think>')[-1]`, `message.get('tool_calls')`, `tool.items()`, ... Each behaves as the
// Python method does (on code points, with Python's whitespace and case rules). Methods that would
// mutate a list or dict exist but refuse to run, as under ImmutableSandboxedEnvironment.

enum Methods {
    private static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "swapcase", "startswith", "endswith",
        "split", "rsplit", "splitlines", "replace", "find", "rfind", "index", "rindex", "count", "join", "format",
        "isdigit", "isnumeric", "isdecimal", "isalpha", "isalnum", "isspace", "islower", "isupper",
        "removeprefix", "removesuffix",
    ]
    private static let dictionaryMethods: Set<String> = ["items", "keys", "values", "get", "copy"]
    private static let listMethods: Set<String> = ["count", "index", "copy"]
    /// What ImmutableSandboxedEnvironment refuses (jinja2.sandbox._mutable_spec).
    private static let mutatingDictionaryMethods: Set<String> = ["clear", "pop", "popitem", "setdefault", "update"]
    private static let mutatingListMethods: Set<String> = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"]

    /// The bound method `name` of `receiver`, if Python has one.
    static func bound(_ name: String, on receiver: Value) -> Value? {
        let receiver = receiver.unmarked
        let known: Bool
        switch receiver {
        case .string: known = stringMethods.contains(name)
        case .dictionary: known = dictionaryMethods.contains(name) || mutatingDictionaryMethods.contains(name)
        case .array: known = listMethods.contains(name) || mutatingListMethods.contains(name)
        case .tuple: known = name == "count" || name == "index"
        default: known = false
        }
        return known ? .callable(.method(receiver: receiver, name: name)) : nil
    }

    static func call(_ name: String, on receiver: Value, with arguments: Arguments, evaluator: Evaluator, line: Int) throws -> Value {
        switch receiver {
        case .string(let s): return try callStringMethod(name, on: s, with: arguments, evaluator: evaluator, line: line)
        case .dictionary(let d):
            if mutatingDictionaryMethods.contains(name) {
                throw TemplateError(.runtime, "access to attribute '\(name)' of 'dict' object is unsafe.", line: line)
            }
            switch name {
            case "items":
                _ = try arguments.bind([], to: name, line: line)
                return .array(d.pairs.map { .tuple([.string($0.key), $0.value]) })
            case "keys":
                _ = try arguments.bind([], to: name, line: line)
                return .array(d.keys.map { .string($0) })
            case "values":
                _ = try arguments.bind([], to: name, line: line)
                return .array(d.values)
            case "copy":
                return receiver
            default:  // get
                let bound = try arguments.bind(["key", "default"], to: name, line: line)
                guard let key = bound[0] else { throw TemplateError(.type, "get expected at least 1 argument, got 0", line: line) }
                if case .string(let k) = key, let value = d[k] { return value }
                return bound[1] ?? .none
            }
        case .array(let items), .tuple(let items):
            if mutatingListMethods.contains(name) {
                throw TemplateError(.runtime, "access to attribute '\(name)' of '\(receiver.pythonTypeName)' object is unsafe.", line: line)
            }
            if name == "copy" { return receiver }
            let bound = try arguments.bind(["value"], to: name, line: line)
            guard let needle = bound[0] else { throw TemplateError(.type, "\(name)() takes exactly one argument (0 given)", line: line) }
            if name == "count" { return .int(items.filter { pythonEquals($0, needle) }.count) }
            guard let index = items.firstIndex(where: { pythonEquals($0, needle) }) else {
                throw TemplateError(.runtime, "\(needle.pythonRepr) is not in \(receiver.pythonTypeName)", line: line)
            }
            return .int(index)
        default:
            throw TemplateError(.type, "'\(receiver.pythonTypeName)' object has no method '\(name)'", line: line)
        }
    }

    // MARK: - str

    private static func callStringMethod(_ name: String, on s: String, with arguments: Arguments, evaluator: Evaluator, line: Int) throws -> Value {
        func optionalString(_ value: Value?, _ what: String) throws -> String? {
            guard let value, !value.isNone else { return nil }
            guard case .string(let text) = value else {
                throw TemplateError(.type, "\(name) arg must be None or str", line: line)
            }
            return text
        }
        func requiredString(_ value: Value?) throws -> String {
            guard case .string(let text) = value else {
                throw TemplateError(.type, "\(name)() argument must be str, not \(value?.pythonTypeName ?? "nothing")", line: line)
            }
            return text
        }
        func optionalInt(_ value: Value?, default defaultValue: Int) throws -> Int {
            guard let value else { return defaultValue }
            guard let i = value.integerValue else {
                throw TemplateError(.type, "'\(value.pythonTypeName)' object cannot be interpreted as an integer", line: line)
            }
            return i
        }

        switch name {
        case "strip", "lstrip", "rstrip":
            let chars = try optionalString(try arguments.bind(["chars"], to: name, line: line)[0], "chars")
            return .string(pythonStrip(s, chars: chars, leading: name != "rstrip", trailing: name != "lstrip"))
        case "upper", "lower", "title", "capitalize", "swapcase":
            _ = try arguments.bind([], to: name, line: line)
            switch name {
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(pythonTitle(s))
            case "capitalize": return .string(pythonCapitalize(s))
            default:
                var out = ""
                for scalar in s.unicodeScalars {
                    out += scalar.properties.isUppercase ? String(scalar).lowercased()
                        : scalar.properties.isLowercase ? String(scalar).uppercased() : String(scalar)
                }
                return .string(out)
            }
        case "startswith", "endswith":
            let bound = try arguments.bind(["prefix", "start", "end"], to: name, line: line)
            if bound[1] != nil || bound[2] != nil {
                throw TemplateError(.unsupported, "str.\(name)() with start/end arguments", line: line)
            }
            let candidates: [Value]
            switch bound[0] {
            case .string?: candidates = [bound[0]!]
            case .tuple(let items)?: candidates = items
            default:
                throw TemplateError(.type, "\(name) first arg must be str or a tuple of str, not \(bound[0]?.pythonTypeName ?? "nothing")", line: line)
            }
            let scalars = Array(s.unicodeScalars)
            for candidate in candidates {
                guard case .string(let affix) = candidate else {
                    throw TemplateError(.type, "tuple for \(name) must only contain str, not \(candidate.pythonTypeName)", line: line)
                }
                let a = Array(affix.unicodeScalars)
                if a.count <= scalars.count,
                   name == "startswith" ? Array(scalars.prefix(a.count)) == a : Array(scalars.suffix(a.count)) == a
                {
                    return .bool(true)
                }
            }
            return .bool(false)
        case "split", "rsplit":
            let bound = try arguments.bind(["sep", "maxsplit"], to: name, line: line)
            let separator = try optionalString(bound[0], "sep")
            let maxSplit = try optionalInt(bound[1], default: -1)
            if separator == "" { throw TemplateError(.runtime, "empty separator", line: line) }
            let parts = name == "split" ? pythonSplit(s, separator: separator, maxSplit: maxSplit)
                : pythonRightSplit(s, separator: separator, maxSplit: maxSplit)
            return .array(parts.map { .string($0) })
        case "splitlines":
            let keepEnds = (try arguments.bind(["keepends"], to: name, line: line)[0])?.isTruthy ?? false
            return .array(pythonSplitLines(s, keepEnds: keepEnds).map { .string($0) })
        case "replace":
            let bound = try arguments.bind(["old", "new", "count"], to: name, line: line)
            return .string(pythonReplace(s, old: try requiredString(bound[0]), new: try requiredString(bound[1]),
                                         count: try optionalInt(bound[2], default: -1)))
        case "find", "rfind", "index", "rindex", "count":
            let bound = try arguments.bind(["sub", "start", "end"], to: name, line: line)
            if bound[1] != nil || bound[2] != nil {
                throw TemplateError(.unsupported, "str.\(name)() with start/end arguments", line: line)
            }
            let needle = try requiredString(bound[0])
            if name == "count" { return .int(countOccurrences(needle, in: s)) }
            let position = name.hasPrefix("r") ? lastOccurrence(needle, in: s) : findScalars(needle, in: s, from: 0)
            if let position { return .int(position) }
            if name.hasSuffix("index") { throw TemplateError(.runtime, "substring not found", line: line) }
            return .int(-1)
        case "join":
            let bound = try arguments.bind(["iterable"], to: name, line: line)
            let items = try evaluator.iterate(bound[0] ?? .undefined(.variable("iterable")), line: line)
            var parts: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let text) = item else {
                    throw TemplateError(.type, "sequence item \(i): expected str instance, \(item.pythonTypeName) found", line: line)
                }
                parts.append(text)
            }
            return .string(parts.joined(separator: s))
        case "format":
            return .string(try pythonFormat(s, arguments, line: line))
        case "removeprefix", "removesuffix":
            let affix = try requiredString(try arguments.bind(["affix"], to: name, line: line)[0])
            let scalars = Array(s.unicodeScalars), a = Array(affix.unicodeScalars)
            if name == "removeprefix", scalars.starts(with: a) { return .string(String(String.UnicodeScalarView(scalars.dropFirst(a.count)))) }
            if name == "removesuffix", !a.isEmpty, Array(scalars.suffix(a.count)) == a {
                return .string(String(String.UnicodeScalarView(scalars.dropLast(a.count))))
            }
            return .string(s)
        default:  // is* predicates
            _ = try arguments.bind([], to: name, line: line)
            let scalars = Array(s.unicodeScalars)
            switch name {
            case "isspace": return .bool(!scalars.isEmpty && scalars.allSatisfy(isPythonWhitespace))
            case "isdigit", "isdecimal", "isnumeric":
                return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType != nil })
            case "isalpha": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic })
            case "isalnum":
                return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
            case "islower":
                let cased = scalars.filter { $0.properties.isCased }
                return .bool(!cased.isEmpty && cased.allSatisfy { $0.properties.isLowercase })
            default:  // isupper
                let cased = scalars.filter { $0.properties.isCased }
                return .bool(!cased.isEmpty && cased.allSatisfy { $0.properties.isUppercase })
            }
        }
    }
}

// MARK: - Python string algorithms, on code points

/// str.strip / lstrip / rstrip: whitespace by default, else any of `chars`.
func pythonStrip(_ s: String, chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
    let set = chars.map { Set($0.unicodeScalars) }
    let strip: (Unicode.Scalar) -> Bool = { c in set.map { $0.contains(c) } ?? isPythonWhitespace(c) }
    var scalars = Array(s.unicodeScalars)[...]
    if leading { while let first = scalars.first, strip(first) { scalars.removeFirst() } }
    if trailing { while let last = scalars.last, strip(last) { scalars.removeLast() } }
    return String(String.UnicodeScalarView(scalars))
}

/// str.split: on runs of whitespace (dropping empty ends) when no separator is given.
func pythonSplit(_ s: String, separator: String?, maxSplit: Int) -> [String] {
    let scalars = Array(s.unicodeScalars)
    var parts: [String] = []
    if let separator {
        let sep = Array(separator.unicodeScalars)
        var start = 0, i = 0
        while i + sep.count <= scalars.count, maxSplit < 0 || parts.count < maxSplit {
            if Array(scalars[i..<(i + sep.count)]) == sep {
                parts.append(String(String.UnicodeScalarView(scalars[start..<i])))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(String.UnicodeScalarView(scalars[start...])))
        return parts
    }
    var i = 0
    while i < scalars.count {
        while i < scalars.count, isPythonWhitespace(scalars[i]) { i += 1 }
        if i == scalars.count { break }
        if maxSplit >= 0 && parts.count == maxSplit {
            parts.append(String(String.UnicodeScalarView(scalars[i...])))
            return parts
        }
        let start = i
        while i < scalars.count, !isPythonWhitespace(scalars[i]) { i += 1 }
        parts.append(String(String.UnicodeScalarView(scalars[start..<i])))
    }
    return parts
}

/// str.rsplit: like split, but counting `maxSplit` from the right.
func pythonRightSplit(_ s: String, separator: String?, maxSplit: Int) -> [String] {
    if maxSplit < 0 { return pythonSplit(s, separator: separator, maxSplit: -1) }
    let reversedParts = pythonSplit(String(String.UnicodeScalarView(s.unicodeScalars.reversed())),
                                    separator: separator.map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) },
                                    maxSplit: maxSplit)
    return reversedParts.reversed().map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) }
}

/// str.splitlines: Python's line boundaries, not only "\n".
func pythonSplitLines(_ s: String, keepEnds: Bool) -> [String] {
    let boundaries: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
    let scalars = Array(s.unicodeScalars)
    var lines: [String] = []
    var start = 0, i = 0
    while i < scalars.count {
        if boundaries.contains(scalars[i].value) {
            var end = i + 1
            if scalars[i] == "\r", end < scalars.count, scalars[end] == "\n" { end += 1 }
            lines.append(String(String.UnicodeScalarView(scalars[start..<(keepEnds ? end : i)])))
            start = end
            i = end
        } else {
            i += 1
        }
    }
    if start < scalars.count { lines.append(String(String.UnicodeScalarView(scalars[start...]))) }
    return lines
}

/// str.replace, including Python's behaviour for an empty `old` (insert between every character).
func pythonReplace(_ s: String, old: String, new: String, count: Int) -> String {
    let scalars = Array(s.unicodeScalars), o = Array(old.unicodeScalars)
    var out = String.UnicodeScalarView()
    var replaced = 0
    if o.isEmpty {
        for scalar in scalars {
            if count < 0 || replaced < count { out.append(contentsOf: new.unicodeScalars); replaced += 1 }
            out.append(scalar)
        }
        if count < 0 || replaced < count { out.append(contentsOf: new.unicodeScalars) }
        return String(out)
    }
    var i = 0
    while i < scalars.count {
        if (count < 0 || replaced < count), i + o.count <= scalars.count, Array(scalars[i..<(i + o.count)]) == o {
            out.append(contentsOf: new.unicodeScalars)
            i += o.count
            replaced += 1
        } else {
            out.append(scalars[i])
            i += 1
        }
    }
    return String(out)
}

/// str.title: a letter is upper-cased after an uncased character, lower-cased after a cased one.
func pythonTitle(_ s: String) -> String {
    var out = ""
    var previousIsCased = false
    for scalar in s.unicodeScalars {
        out += previousIsCased ? scalar.properties.lowercaseMapping : scalar.properties.titlecaseMapping
        previousIsCased = scalar.properties.isCased
    }
    return out
}

/// str.capitalize (Python 3.8+): first character in title case, the rest lower case.
func pythonCapitalize(_ s: String) -> String {
    guard let first = s.unicodeScalars.first else { return s }
    return first.properties.titlecaseMapping + String(String.UnicodeScalarView(s.unicodeScalars.dropFirst())).lowercased()
}

private func countOccurrences(_ needle: String, in s: String) -> Int {
    if needle.isEmpty { return s.unicodeScalars.count + 1 }
    var count = 0, position = 0
    let step = needle.unicodeScalars.count
    while let found = findScalars(needle, in: s, from: position) {
        count += 1
        position = found + step
    }
    return count
}

private func lastOccurrence(_ needle: String, in s: String) -> Int? {
    var last: Int? = nil, position = 0
    while let found = findScalars(needle, in: s, from: position) {
        last = found
        position = found + 1
    }
    return last
}

/// str.format with `{}`, `{0}`, `{name}` fields and `{{` / `}}`; format specs are not supported.
func pythonFormat(_ format: String, _ arguments: Arguments, line: Int) throws -> String {
    var out = ""
    var automatic = 0
    let scalars = Array(format.unicodeScalars)
    var i = 0
    while i < scalars.count {
        let c = scalars[i]
        if c == "{" {
            if i + 1 < scalars.count, scalars[i + 1] == "{" { out += "{"; i += 2; continue }
            guard let close = scalars[(i + 1)...].firstIndex(of: "}") else {
                throw TemplateError(.runtime, "Single '{' encountered in format string", line: line)
            }
            let field = String(String.UnicodeScalarView(scalars[(i + 1)..<close]))
            if field.contains(":") || field.contains("!") || field.contains(".") || field.contains("[") {
                throw TemplateError(.unsupported, "str.format field '{\(field)}' with a conversion, spec or lookup", line: line)
            }
            let value: Value?
            if field.isEmpty {
                value = automatic < arguments.positional.count ? arguments.positional[automatic] : nil
                automatic += 1
            } else if let index = Int(field) {
                value = index < arguments.positional.count ? arguments.positional[index] : nil
            } else {
                value = arguments.keyword.first { $0.name == field }?.value
            }
            guard let value else { throw TemplateError(.runtime, "Replacement index \(field) out of range for positional args tuple", line: line) }
            out += value.pythonString
            i = close + 1
        } else if c == "}" {
            guard i + 1 < scalars.count, scalars[i + 1] == "}" else {
                throw TemplateError(.runtime, "Single '}' encountered in format string", line: line)
            }
            out += "}"
            i += 2
        } else {
            out.unicodeScalars.append(c)
            i += 1
        }
    }
    return out
}

/// `format % values` with %s, %r, %d, %i, %f (optionally `.N`) and %%.
func percentFormat(_ format: String, _ values: Value, line: Int) throws -> String {
    let items: [Value]
    if case .tuple(let t) = values { items = t } else { items = [values] }
    var next = 0
    var out = ""
    let scalars = Array(format.unicodeScalars)
    var i = 0
    func take() throws -> Value {
        guard next < items.count else { throw TemplateError(.type, "not enough arguments for format string", line: line) }
        defer { next += 1 }
        return items[next]
    }
    while i < scalars.count {
        guard scalars[i] == "%" else {
            out.unicodeScalars.append(scalars[i])
            i += 1
            continue
        }
        i += 1
        var precision: Int? = nil
        if i < scalars.count, scalars[i] == "." {
            i += 1
            var digits = ""
            while i < scalars.count, ("0"..."9").contains(scalars[i]) { digits.unicodeScalars.append(scalars[i]); i += 1 }
            precision = Int(digits) ?? 0
        }
        guard i < scalars.count else { throw TemplateError(.runtime, "incomplete format", line: line) }
        let conversion = scalars[i]
        i += 1
        switch conversion {
        case "%": out += "%"
        case "s": out += try take().pythonString
        case "r": out += try take().pythonRepr
        case "d", "i":
            let value = try take()
            if let n = value.integerValue { out += String(n) }
            else if case .double(let d) = value { out += String(Int(d.rounded(.towardZero))) }
            else { throw TemplateError(.type, "%\(conversion) format: a real number is required, not \(value.pythonTypeName)", line: line) }
        case "f":
            let value = try take()
            guard let d = value.numericValue else {
                throw TemplateError(.type, "must be real number, not \(value.pythonTypeName)", line: line)
            }
            out += formatFixed(d, digits: precision ?? 6)
        default:
            throw TemplateError(.unsupported, "'%\(conversion)' in a %-format string", line: line)
        }
    }
    if next < items.count, case .tuple = values {
        throw TemplateError(.type, "not all arguments converted during string formatting", line: line)
    }
    return out
}

/// A fixed-point rendering with `digits` decimals, rounding half to even like Python's %f.
func formatFixed(_ value: Double, digits: Int) -> String {
    let scale = pow10(digits)
    let scaled = (value * scale).rounded(.toNearestOrEven)
    let negative = scaled < 0 || (scaled == 0 && value.sign == .minus)
    let magnitude = abs(scaled)
    let integerPart = (magnitude / scale).rounded(.towardZero)
    let fractionPart = magnitude - integerPart * scale
    var text = integerDigits(integerPart)
    if digits > 0 {
        let fraction = integerDigits(fractionPart)
        text += "." + String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
    }
    return (negative ? "-" : "") + text
}

private func pow10(_ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<n { result *= 10 }
    return result
}

/// Digits of a non-negative integral Double.
private func integerDigits(_ value: Double) -> String {
    value < 9.0e18 ? String(Int(value)) : String(format: "%.0f", value)
}
