// The functions a template can call by name: jinja2's default globals that chat templates use
// (`range`, `dict`, `namespace`) and the ones transformers adds (`raise_exception`, `strftime_now`;
// see transformers/utils/chat_template_utils.py, _cached_compile_jinja_template).

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Globals {
    static let names: Set<String> = ["range", "dict", "namespace", "raise_exception", "strftime_now", "lipsum", "cycler", "joiner"]

    /// jinja2.sandbox.MAX_RANGE
    private static let maximumRange = 100_000

    static func call(_ name: String, with arguments: Arguments, evaluator: Evaluator, line: Int) throws -> Value {
        switch name {
        case "raise_exception":
            // transformers: raise jinja2.exceptions.TemplateError(message)
            let message = arguments.positional.first ?? arguments.keyword.first?.value ?? .none
            throw TemplateError(.raised, message.pythonString, line: line)
        case "range":
            guard arguments.keyword.isEmpty, (1...3).contains(arguments.positional.count) else {
                throw TemplateError(.type, "range expected 1 to 3 integer arguments", line: line)
            }
            let numbers = try arguments.positional.map { value -> Int in
                guard let i = value.integerValue else {
                    throw TemplateError(.type, "'\(value.pythonTypeName)' object cannot be interpreted as an integer", line: line)
                }
                return i
            }
            let (start, stop, step) = numbers.count == 1 ? (0, numbers[0], 1) : (numbers[0], numbers[1], numbers.count == 3 ? numbers[2] : 1)
            guard step != 0 else { throw TemplateError(.runtime, "range() arg 3 must not be zero", line: line) }
            let values = Array(stride(from: start, to: stop, by: step))
            guard values.count <= maximumRange else {
                throw TemplateError(.runtime, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maximumRange)).", line: line)
            }
            return .array(values.map { .int($0) })
        case "dict":
            var dictionary = ValueDictionary()
            if let first = arguments.positional.first {
                switch first {
                case .dictionary(let d): dictionary = d
                default:
                    for pair in try evaluator.iterate(first, line: line) {
                        let parts = try evaluator.iterate(pair, line: line)
                        guard parts.count == 2, case .string(let key) = parts[0] else {
                            throw TemplateError(.unsupported, "dict() from pairs that are not (string, value)", line: line)
                        }
                        dictionary[key] = parts[1]
                    }
                }
            }
            for (key, value) in arguments.keyword { dictionary[key] = value }
            return .dictionary(dictionary)
        case "namespace":
            var attributes = ValueDictionary()
            if let first = arguments.positional.first {
                guard case .dictionary(let d) = first else {
                    throw TemplateError(.unsupported, "namespace() with a positional argument that is not a dict", line: line)
                }
                attributes = d
            }
            for (key, value) in arguments.keyword { attributes[key] = value }
            // transformers' TemplateNamespace refuses underscore names (no reaching into internals).
            if let bad = attributes.keys.first(where: { $0.hasPrefix("_") }) {
                throw TemplateError(.runtime, "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(bad)'. Please rename the attribute.", line: line)
            }
            return .namespace(Namespace(attributes))
        case "strftime_now":
            guard case .string(let format) = arguments.positional.first else {
                throw TemplateError(.type, "strftime_now() needs a format string", line: line)
            }
            return .string(strftimeNow(format))
        default:
            throw TemplateError(.unsupported, "global function '\(name)'", line: line)
        }
    }

    /// datetime.now().strftime(format), through the C library as CPython does.
    private static func strftimeNow(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 512)
        let length = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
