// Normalizers: text -> text before pre-tokenization (tokenizers/src/normalizers/).
//
// Only the text matters here; HF also tracks offsets through each change, which an inference engine
// does not need.

import Foundation

/// What a Replace normalizer or decoder looks for: `{"String": ...}` or `{"Regex": ...}`.
enum ReplacePattern: Sendable {
    case string(String)
    case regex(ICURegex)

    /// Replaces every non-overlapping occurrence, left to right (Rust `str::replace` / `Regex::replace_all`).
    func replaceAll(in text: String, with content: String) -> String {
        switch self {
        case .string(let needle):
            return Self.replaceLiteral(needle, in: text, with: content)
        case .regex(let regex):
            let range = NSRange(location: 0, length: text.utf16.count)
            let template = NSRegularExpression.escapedTemplate(for: content)
            return regex.expression.stringByReplacingMatches(in: text, options: [], range: range, withTemplate: template)
        }
    }

    /// Byte-wise literal replacement (Foundation's replacingOccurrences compares with canonical
    /// equivalence unless told otherwise; tokenizers compares bytes).
    static func replaceLiteral(_ needle: String, in text: String, with content: String) -> String {
        let needleBytes = Array(needle.utf8)
        guard let first = needleBytes.first else { return text }
        let textBytes = Array(text.utf8)
        guard textBytes.count >= needleBytes.count else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(textBytes.count)
        var index = 0
        var replaced = false
        while index < textBytes.count {
            if textBytes[index] == first, index + needleBytes.count <= textBytes.count,
                textBytes[index..<(index + needleBytes.count)].elementsEqual(needleBytes)
            {
                result.append(contentsOf: content.utf8)
                index += needleBytes.count
                replaced = true
            } else {
                result.append(textBytes[index])
                index += 1
            }
        }
        return replaced ? String(decoding: result, as: UTF8.self) : text
    }
}

/// A normalizer of tokenizer.json.
indirect enum Normalizer: Sendable {
    case sequence([Normalizer])
    /// Prepend: adds `prefix` to non-empty text (normalizers/prepend.rs).
    case prepend(String)
    /// Append: adds `suffix` to non-empty text.
    case append(String)
    case replace(ReplacePattern, content: String)
    case nfc, nfd, nfkc, nfkd
    /// Lowercase: per character, without the context rules of String.lowercased() (normalizers/utils.rs).
    case lowercase
    /// Strip: whitespace on the left and/or right (normalizers/strip.rs).
    case strip(left: Bool, right: Bool)

    func normalize(_ text: String) -> String {
        switch self {
        case .sequence(let normalizers):
            return normalizers.reduce(text) { $1.normalize($0) }
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case .append(let suffix):
            return text.isEmpty ? text : text + suffix
        case .replace(let pattern, let content):
            return pattern.replaceAll(in: text, with: content)
        case .nfc:
            return Self.isASCII(text) ? text : text.precomposedStringWithCanonicalMapping
        case .nfd:
            return Self.isASCII(text) ? text : text.decomposedStringWithCanonicalMapping
        case .nfkc:
            return Self.isASCII(text) ? text : text.precomposedStringWithCompatibilityMapping
        case .nfkd:
            return Self.isASCII(text) ? text : text.decomposedStringWithCompatibilityMapping
        case .lowercase:
            var result = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                if scalar.value < 0x80 {
                    result.append(scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 32)! : scalar)
                } else {
                    result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                }
            }
            return String(result)
        case .strip(let left, let right):
            let scalars = Array(text.unicodeScalars)
            var start = 0
            var end = scalars.count
            if left { while start < end, UnicodeClass.isWhitespace(scalars[start]) { start += 1 } }
            if right { while end > start, UnicodeClass.isWhitespace(scalars[end - 1]) { end -= 1 } }
            if start == 0 && end == scalars.count { return text }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[start..<end])
            return String(view)
        }
    }

    /// ASCII text is unchanged by every Unicode normalization form.
    private static func isASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 }
    }
}

extension Normalizer {
    /// Reads the `normalizer` member of tokenizer.json.
    init(json: JSONValue) throws(ConfigurationError) {
        let type = try json.requiredString("type", in: "normalizer")
        switch type {
        case "Sequence":
            let items = try json.requiredArray("normalizers", in: "Sequence normalizer")
            var normalizers: [Normalizer] = []
            for item in items { normalizers.append(try Normalizer(json: item)) }
            self = .sequence(normalizers)
        case "Prepend":
            self = .prepend(try json.requiredString("prepend", in: "Prepend normalizer"))
        case "Append":
            self = .append(try json.requiredString("append", in: "Append normalizer"))
        case "Replace":
            self = .replace(
                try ReplacePattern(json: json["pattern"], in: "Replace normalizer"),
                content: try json.requiredString("content", in: "Replace normalizer"))
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Strip":
            self = .strip(left: json["strip_left"]?.boolValue ?? false, right: json["strip_right"]?.boolValue ?? false)
        default:
            throw .unsupported("normalizer", type: type)
        }
    }
}

extension ReplacePattern {
    init(json: JSONValue?, in context: String) throws(ConfigurationError) {
        if let string = json?["String"]?.stringValue {
            self = .string(string)
        } else if let regex = json?["Regex"]?.stringValue {
            do {
                self = .regex(try ICURegex(pattern: regex))
            } catch {
                throw .invalid("\(context): regex \"\(regex)\" is not supported by ICU: \(error.localizedDescription)")
            }
        } else {
            throw .invalid("\(context): pattern must be {\"String\": ...} or {\"Regex\": ...}")
        }
    }
}
