import Foundation

// Filters (`x | name(args)`), each a port of the same-named function in jinja2/filters.py, plus
// transformers' own `tojson` (no HTML escaping, keeps non-ASCII, accepts indent / separators /
// sort_keys). A filter not listed here is reported at parse time as unsupported, with its line.

enum Filters {
    static let names: Set<String> = [
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "first", "float", "format", "indent",
        "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson",
        "trim", "unique", "upper", "wordcount",
    ]

    static func apply(_ name: String, to input: Value, with arguments: Arguments, evaluator: Evaluator, line: Int) throws -> Value {
        if name == "safe" {
            _ = try arguments.bind([], to: name, line: line)
            if case .markup = input { return input }
            return .markup(try evaluator.outputText(input, line: line))
        }
        let value = input.unmarked
        /// What jinja2's generator filters return: a one-shot iterator over `items`.
        func generator(_ items: [Value]) -> Value { .iterator(IteratorState(typeName: "generator", items: items)) }
        func bind(_ parameters: [String]) throws -> [Value?] {
            try arguments.bind(parameters, to: name, line: line)
        }
        func rejectUndefined() throws {
            if case .undefined(let hint) = value { throw TemplateError(.undefined, hint.message, line: line) }
        }
        func text() -> String { value.pythonString }

        switch name {
        case "default", "d":
            let bound = try bind(["default_value", "boolean"])
            let useDefault = value.isUndefined || ((bound[1]?.isTruthy ?? false) && !value.isTruthy)
            return useDefault ? (bound[0] ?? .string("")) : value
        case "length", "count":
            _ = try bind([])
            return .int(try length(of: value, line: line))
        case "string":
            _ = try bind([])
            return .string(try evaluator.outputText(value, line: line))
        case "upper":
            _ = try bind([])
            return .string(text().uppercased())
        case "lower":
            _ = try bind([])
            return .string(text().lowercased())
        case "capitalize":
            _ = try bind([])
            return .string(pythonCapitalize(text()))
        case "title":
            _ = try bind([])
            return .string(jinjaTitle(text()))
        case "trim":
            let chars = try bind(["chars"])[0]
            if let chars, !chars.isNone, !chars.isString { throw TemplateError(.type, "strip arg must be None or str", line: line) }
            return .string(pythonStrip(text(), chars: chars?.isNone == false ? chars!.pythonString : nil))
        case "replace":
            let bound = try bind(["old", "new", "count"])
            let count = bound[2].flatMap { $0.isNone ? nil : $0.integerValue } ?? -1
            return .string(pythonReplace(text(), old: bound[0]?.pythonString ?? "", new: bound[1]?.pythonString ?? "", count: count))
        case "indent":
            let bound = try bind(["width", "first", "blank"])
            return .string(indent(text(), width: bound[0] ?? .int(4), first: bound[1]?.isTruthy ?? false, blank: bound[2]?.isTruthy ?? false))
        case "wordcount":
            _ = try bind([])
            return .int(pythonSplit(text(), separator: nil, maxSplit: -1).count)
        case "format":
            let values: Value = arguments.positional.count == 1 ? arguments.positional[0] : .tuple(arguments.positional)
            return .string(try percentFormat(text(), values, line: line))
        case "first":
            _ = try bind([])
            if case .iterator(let state) = value {
                return state.next() ?? .undefined(UndefinedHint(message: "No first item, sequence was empty."))
            }
            let items = try evaluator.iterate(value, line: line)
            return items.first ?? .undefined(UndefinedHint(message: "No first item, sequence was empty."))
        case "last":
            _ = try bind([])
            try rejectUndefined()
            if case .iterator(let state) = value { throw TemplateError(.type, "'\(state.typeName)' object is not reversible", line: line) }
            let items = try evaluator.iterate(value, line: line)
            return items.last ?? .undefined(UndefinedHint(message: "No last item, sequence was empty."))
        case "list":
            _ = try bind([])
            return .array(try evaluator.iterate(value, line: line))
        case "reverse":
            _ = try bind([])
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            switch value {
            case .array(let items), .tuple(let items):
                return .iterator(IteratorState(typeName: value.isArray ? "list_reverseiterator" : "reversed", items: items.reversed()))
            case .iterator(let state): throw TemplateError(.type, "'\(state.typeName)' object is not reversible", line: line)
            default: return .array(try evaluator.iterate(value, line: line).reversed())
            }
        case "items":
            _ = try bind([])
            switch value {
            case .undefined: return generator([])
            case .dictionary(let d): return generator(d.pairs.map { .tuple([.string($0.key), $0.value]) })
            default: throw TemplateError(.type, "Can only get item pairs from a mapping.", line: line)
            }
        case "dictsort":
            let bound = try bind(["case_sensitive", "by", "reverse"])
            guard case .dictionary(let d) = value else { throw TemplateError(.type, "You can only sort by either 'key' or 'value'", line: line) }
            let byValue = bound[1]?.pythonString == "value"
            let caseSensitive = bound[0]?.isTruthy ?? false
            let pairs: [Value] = d.pairs.map { .tuple([.string($0.key), $0.value]) }
            let sorted = try stableSort(pairs, reverse: bound[2]?.isTruthy ?? false, evaluator: evaluator, line: line) { pair in
                guard case .tuple(let parts) = pair else { return pair }
                return ignoreCase(byValue ? parts[1] : parts[0], caseSensitive: caseSensitive)
            }
            return .array(sorted)
        case "join":
            let bound = try bind(["d", "attribute"])
            var items = try evaluator.iterate(value, line: line)
            if let attribute = bound[1], !attribute.isNone {
                items = try items.map { try attributeGetter(attribute, evaluator: evaluator, line: line)($0) }
            }
            return .string(items.map(\.pythonString).joined(separator: bound[0]?.pythonString ?? ""))
        case "map":
            return generator(try map(value, arguments, evaluator: evaluator, line: line))
        case "select", "reject":
            return generator(try selectOrReject(value, arguments, usesAttribute: false, select: name == "select", evaluator: evaluator, line: line))
        case "selectattr", "rejectattr":
            return generator(try selectOrReject(value, arguments, usesAttribute: true, select: name == "selectattr", evaluator: evaluator, line: line))
        case "sort":
            let bound = try bind(["reverse", "case_sensitive", "attribute"])
            let items = try evaluator.iterate(value, line: line)
            let getter = try bound[2].map { try attributeGetter($0, evaluator: evaluator, line: line) }
            let caseSensitive = bound[1]?.isTruthy ?? false
            return .array(try stableSort(items, reverse: bound[0]?.isTruthy ?? false, evaluator: evaluator, line: line) { item in
                ignoreCase(try getter?(item) ?? item, caseSensitive: caseSensitive)
            })
        case "unique":
            let bound = try bind(["case_sensitive", "attribute"])
            let getter = try bound[1].map { try attributeGetter($0, evaluator: evaluator, line: line) }
            let caseSensitive = bound[0]?.isTruthy ?? false
            var seen: [Value] = []
            var out: [Value] = []
            for item in try evaluator.iterate(value, line: line) {
                let key = ignoreCase(try getter?(item) ?? item, caseSensitive: caseSensitive)
                if !seen.contains(where: { pythonEquals($0, key) }) {
                    seen.append(key)
                    out.append(item)
                }
            }
            return generator(out)
        case "max", "min":
            let bound = try bind(["case_sensitive", "attribute"])
            let getter = try bound[1].map { try attributeGetter($0, evaluator: evaluator, line: line) }
            let caseSensitive = bound[0]?.isTruthy ?? false
            let items = try evaluator.iterate(value, line: line)
            guard var best = items.first else { return .undefined(UndefinedHint(message: "No aggregated item, sequence was empty.")) }
            for item in items.dropFirst() {
                let a = ignoreCase(try getter?(item) ?? item, caseSensitive: caseSensitive)
                let b = ignoreCase(try getter?(best) ?? best, caseSensitive: caseSensitive)
                if name == "max" ? try evaluator.pythonLess(b, a, symbol: "<", line: line) : try evaluator.pythonLess(a, b, symbol: "<", line: line) {
                    best = item
                }
            }
            return best
        case "sum":
            let bound = try bind(["attribute", "start"])
            var items = try evaluator.iterate(value, line: line)
            if let attribute = bound[0], !attribute.isNone {
                items = try items.map { try attributeGetter(attribute, evaluator: evaluator, line: line)($0) }
            }
            var total = bound[1] ?? .int(0)
            for item in items { total = try evaluator.binary(.add, total, item, line: line) }
            return total
        case "abs":
            _ = try bind([])
            switch value {
            case .int(let i) where i != Int.min: return .int(abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            case .undefined(let hint): throw TemplateError(.undefined, hint.message, line: line)
            default: throw TemplateError(.type, "bad operand type for abs(): '\(value.pythonTypeName)'", line: line)
            }
        case "round":
            let bound = try bind(["precision", "method"])
            let precision = bound[0]?.integerValue ?? 0
            let method = bound[1]?.pythonString ?? "common"
            guard let number = value.numericValue else {
                try rejectUndefined()
                throw TemplateError(.type, "type \(value.pythonTypeName) doesn't define __round__ method", line: line)
            }
            var scale = 1.0
            for _ in 0..<abs(precision) { scale *= 10 }
            let scaled = precision >= 0 ? number * scale : number / scale
            let rule: FloatingPointRoundingRule
            switch method {
            case "common": rule = .toNearestOrEven
            case "ceil": rule = .up
            case "floor": rule = .down
            default: throw TemplateError(.runtime, "method must be common, ceil or floor", line: line)
            }
            let rounded = scaled.rounded(rule)
            return .double(precision >= 0 ? rounded / scale : rounded * scale)
        case "int":
            let bound = try bind(["default", "base"])
            return try toInt(value, default: bound[0] ?? .int(0), base: bound[1]?.integerValue ?? 10, line: line)
        case "float":
            let defaultValue = try bind(["default"])[0] ?? .double(0)
            switch value {
            case .undefined(let hint): throw TemplateError(.undefined, hint.message, line: line)
            case .int, .bool, .double: return .double(value.numericValue!)
            case .string(let s):
                return parsePythonFloat(s).map { .double($0) } ?? defaultValue
            default: return defaultValue
            }
        case "attr":
            let attributeName = try bind(["name"])[0]?.pythonString ?? ""
            return try evaluator.attribute(attributeName, of: value, line: line)
        case "tojson":
            let bound = try bind(["ensure_ascii", "indent", "separators", "sort_keys"])
            return .string(try JSONWriter.encode(value, ensureASCII: bound[0]?.isTruthy ?? false, indent: bound[1],
                                                separators: bound[2], sortKeys: bound[3]?.isTruthy ?? false, line: line))
        default:
            throw TemplateError(.unsupported, "filter '\(name)'", line: line)
        }
    }

    // MARK: - Helpers

    /// Python len(); Undefined has length 0.
    static func length(of value: Value, line: Int) throws -> Int {
        switch value {
        case .undefined: return 0
        case .string(let s): return s.unicodeScalars.count
        case .array(let a), .tuple(let a): return a.count
        case .dictionary(let d): return d.count
        case .namespace(let ns): return ns.attributes.count
        case .loop(let state): return state.items.count
        default: throw TemplateError(.type, "object of type '\(value.pythonTypeName)' has no len()", line: line)
        }
    }

    /// jinja2 make_attrgetter: "a.b.0" looks up each part with getitem (so keys and indices both work).
    static func attributeGetter(_ attribute: Value, default defaultValue: Value? = nil, evaluator: Evaluator, line: Int) throws -> (Value) throws -> Value {
        let parts: [Value]
        switch attribute {
        case .string(let path):
            parts = path.split(separator: ".", omittingEmptySubsequences: false).map { part in
                Int(part).map { .int($0) } ?? .string(String(part))
            }
        case .int:
            parts = [attribute]
        default:
            throw TemplateError(.type, "attribute must be a string or an integer", line: line)
        }
        return { item in
            var current = item
            for part in parts {
                current = try evaluator.item(part, of: current, line: line)
                if current.isUndefined, let defaultValue { return defaultValue }
            }
            return current
        }
    }

    private static func map(_ value: Value, _ arguments: Arguments, evaluator: Evaluator, line: Int) throws -> [Value] {
        // jinja2 do_map starts with `if value:`, so a falsy input (None, "", []) maps to nothing.
        let items = value.isTruthy ? try evaluator.iterate(value, line: line) : []
        if arguments.positional.isEmpty {
            let attribute = arguments.keyword.first { $0.name == "attribute" }?.value
            let defaultValue = arguments.keyword.first { $0.name == "default" }?.value
            if let unknown = arguments.keyword.first(where: { $0.name != "attribute" && $0.name != "default" }) {
                throw TemplateError(.runtime, "Unexpected keyword argument '\(unknown.name)'", line: line)
            }
            guard let attribute else { throw TemplateError(.runtime, "map requires a filter argument", line: line) }
            let getter = try attributeGetter(attribute, default: defaultValue, evaluator: evaluator, line: line)
            return try items.map(getter)
        }
        guard case .string(let filterName) = arguments.positional[0], names.contains(filterName) else {
            throw TemplateError(.unsupported, "filter '\(arguments.positional[0].pythonString)' in map()", line: line)
        }
        let rest = Arguments(positional: Array(arguments.positional.dropFirst()), keyword: arguments.keyword)
        return try items.map { try apply(filterName, to: $0, with: rest, evaluator: evaluator, line: line) }
    }

    /// jinja2 select_or_reject: a test (default: truthiness) applied to each item or to an attribute of it.
    private static func selectOrReject(_ value: Value, _ arguments: Arguments, usesAttribute: Bool, select: Bool,
                                       evaluator: Evaluator, line: Int) throws -> [Value]
    {
        var positional = arguments.positional[...]
        var transform: (Value) throws -> Value = { $0 }
        if usesAttribute {
            guard let attribute = positional.popFirst() else { throw TemplateError(.type, "Missing parameter for attribute name", line: line) }
            transform = try attributeGetter(attribute, evaluator: evaluator, line: line)
        }
        var testName: String? = nil
        if let first = positional.popFirst() {
            guard case .string(let name) = first, Tests.names.contains(name) else {
                throw TemplateError(.unsupported, "test '\(first.pythonString)' in select/reject", line: line)
            }
            testName = name
        }
        let testArguments = Arguments(positional: Array(positional), keyword: arguments.keyword)
        var out: [Value] = []
        // jinja2 select_or_reject starts with `if value:`, so a falsy input (None, "", []) selects nothing.
        for item in value.isTruthy ? try evaluator.iterate(value, line: line) : [] {
            let subject = try transform(item)
            let passed = try testName.map { try Tests.apply($0, to: subject, with: testArguments, evaluator: evaluator, line: line) } ?? subject.isTruthy
            if passed == select { out.append(item) }
        }
        return out
    }

    /// Python's sorted(): stable, by Python ordering of the keys.
    private static func stableSort(_ items: [Value], reverse: Bool, evaluator: Evaluator, line: Int, key: (Value) throws -> Value) throws -> [Value] {
        let keyed = try items.enumerated().map { (offset: $0.offset, key: try key($0.element), item: $0.element) }
        var failure: Error? = nil
        let sorted = keyed.sorted { a, b in
            do {
                if try evaluator.pythonLess(a.key, b.key, symbol: "<", line: line) { return !reverse }
                if try evaluator.pythonLess(b.key, a.key, symbol: "<", line: line) { return reverse }
            } catch {
                failure = failure ?? error
            }
            return a.offset < b.offset
        }
        if let failure { throw failure }
        return sorted.map(\.item)
    }

    private static func ignoreCase(_ value: Value, caseSensitive: Bool) -> Value {
        if !caseSensitive, case .string(let s) = value { return .string(s.lowercased()) }
        return value
    }

    /// jinja2 do_title: split before runs of `-`, whitespace and opening brackets; upper-case the
    /// first character of each piece and lower-case the rest (not Python's str.title).
    private static func jinjaTitle(_ s: String) -> String {
        func isBoundary(_ c: Unicode.Scalar) -> Bool { c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || isPythonWhitespace(c) }
        var out = ""
        var piece = String.UnicodeScalarView()
        var pieceIsBoundary = false
        func flush() {
            guard let first = piece.first else { return }
            if pieceIsBoundary {
                out += String(piece)
            } else {
                out += String(first).uppercased() + String(String.UnicodeScalarView(piece.dropFirst())).lowercased()
            }
            piece = String.UnicodeScalarView()
        }
        for scalar in s.unicodeScalars {
            if isBoundary(scalar) != pieceIsBoundary || piece.isEmpty {
                flush()
                pieceIsBoundary = isBoundary(scalar)
            }
            piece.append(scalar)
        }
        flush()
        return out
    }

    /// jinja2 do_indent (3.x): indent every line but the first (unless `first`), skipping blank lines
    /// (unless `blank`).
    private static func indent(_ s: String, width: Value, first: Bool, blank: Bool) -> String {
        let indentation: String
        if case .string(let text) = width { indentation = text } else { indentation = String(repeating: " ", count: max(0, width.integerValue ?? 4)) }
        let lines = pythonSplitLines(s + "\n", keepEnds: false)
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty {
                result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        return first ? indentation + result : result
    }

    /// jinja2 do_int: int(value) (strings in `base`), else int(float(value)), else the default.
    private static func toInt(_ value: Value, default defaultValue: Value, base: Int, line: Int) throws -> Value {
        switch value {
        case .undefined(let hint): throw TemplateError(.undefined, hint.message, line: line)
        case .int, .bool: return .int(value.integerValue!)
        case .double(let d):
            guard d.isFinite, abs(d) < 9.2e18 else { return defaultValue }
            return .int(Int(d.rounded(.towardZero)))
        case .string(let s):
            let trimmed = pythonStrip(s, chars: nil).replacingOccurrences(of: "_", with: "")
            var digits = trimmed
            var negative = false
            if digits.hasPrefix("-") || digits.hasPrefix("+") {
                negative = digits.hasPrefix("-")
                digits.removeFirst()
            }
            if base == 16, digits.lowercased().hasPrefix("0x") { digits.removeFirst(2) }
            if base == 8, digits.lowercased().hasPrefix("0o") { digits.removeFirst(2) }
            if base == 2, digits.lowercased().hasPrefix("0b") { digits.removeFirst(2) }
            if !digits.isEmpty, let parsed = Int(digits, radix: base) { return .int(negative ? -parsed : parsed) }
            if let d = parsePythonFloat(s), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d.rounded(.towardZero))) }
            return defaultValue
        default:
            return defaultValue
        }
    }

    /// Python float(str): surrounding whitespace allowed, plus inf/nan spellings.
    static func parsePythonFloat(_ s: String) -> Double? {
        let trimmed = pythonStrip(s, chars: nil).replacingOccurrences(of: "_", with: "")
        switch trimmed.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: break
        }
        guard !trimmed.isEmpty, trimmed.allSatisfy({ "0123456789+-.eE".contains($0) }) else { return nil }
        return Double(trimmed)
    }
}
