// Tests (`x is name(args)`), ports of jinja2/tests.py. `defined` is the one templates lean on most:
// a missing dict key or variable is undefined, but a key holding None (as transformers passes
// `tools=None`) is defined and `is none`.

enum Tests {
    static let names: Set<String> = [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string",
        "mapping", "iterable", "sequence", "callable", "sameas", "escaped", "odd", "even", "divisibleby",
        "lower", "upper", "in", "filter", "test",
        "equalto", "eq", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=",
    ]

    static func apply(_ name: String, to value: Value, with arguments: Arguments, evaluator: Evaluator, line: Int) throws -> Bool {
        let value = value.unmarked
        func argument() throws -> Value {
            let bound = try arguments.bind(["other"], to: name, line: line)
            guard let other = bound[0] else { throw TemplateError(.type, "test '\(name)' needs an argument", line: line) }
            return other
        }
        func integer() throws -> Int {
            if case .undefined(let hint) = value { throw TemplateError(.undefined, hint.message, line: line) }
            guard let i = value.integerValue else {
                if case .double(let d) = value, d == d.rounded() { return Int(d) }
                throw TemplateError(.type, "test '\(name)' needs an integer, got '\(value.pythonTypeName)'", line: line)
            }
            return i
        }

        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number":
            switch value {
            case .int, .double, .bool: return true
            default: return false
            }
        case "string": return value.isString
        case "mapping": if case .dictionary = value { return true } else { return false }
        case "iterable":
            switch value {
            case .undefined, .string, .array, .tuple, .dictionary, .loop, .iterator: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .undefined, .string, .array, .tuple, .dictionary, .loop: return true
            default: return false
            }
        case "callable": if case .callable = value { return true } else { return false }
        case "escaped": return false
        case "sameas":
            let other = try argument()
            switch (value, other) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        case "odd": return try integer() % 2 != 0
        case "even": return try integer() % 2 == 0
        case "divisibleby":
            let divisor = try argument()
            guard let d = divisor.integerValue, d != 0 else { throw TemplateError(.runtime, "integer division or modulo by zero", line: line) }
            return try integer() % d == 0
        case "lower":
            let scalars = value.pythonString.unicodeScalars.filter { $0.properties.isCased }
            return !scalars.isEmpty && scalars.allSatisfy { $0.properties.isLowercase }
        case "upper":
            let scalars = value.pythonString.unicodeScalars.filter { $0.properties.isCased }
            return !scalars.isEmpty && scalars.allSatisfy { $0.properties.isUppercase }
        case "in": return try evaluator.contains(try argument(), value, line: line)
        case "filter": return Filters.names.contains(value.pythonString)
        case "test": return Tests.names.contains(value.pythonString)
        case "equalto", "eq", "==": return pythonEquals(value, try argument())
        case "ne", "!=": return !pythonEquals(value, try argument())
        case "lt", "lessthan", "<": return try evaluator.compare(value, .less, try argument(), line: line)
        case "le", "<=": return try evaluator.compare(value, .lessEqual, try argument(), line: line)
        case "gt", "greaterthan", ">": return try evaluator.compare(value, .greater, try argument(), line: line)
        case "ge", ">=": return try evaluator.compare(value, .greaterEqual, try argument(), line: line)
        default:
            throw TemplateError(.unsupported, "test '\(name)'", line: line)
        }
    }
}
