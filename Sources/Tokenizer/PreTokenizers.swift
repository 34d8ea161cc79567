// Pre-tokenizers: normalized text -> pieces ("words") that the BPE model encodes one by one
// (tokenizers/src/pre_tokenizers/).

/// One piece of text between pre-tokenization steps.
struct PreToken: Sendable {
    var scalars: [Unicode.Scalar]
    /// Whether the piece begins where the input text begins (HF: `offsets_original().0 == 0`);
    /// Metaspace's prepend_scheme "first" adds its "▁" only there.
    var startsText: Bool
}

/// Metaspace's `prepend_scheme`.
enum PrependScheme: String, Sendable {
    case always
    case first
    case never
}

/// A pre-tokenizer of tokenizer.json.
indirect enum PreTokenizer: Sendable {
    case sequence([PreTokenizer])
    /// Split (pre_tokenizers/split.rs).
    case split(SplitPattern, behavior: SplitBehavior, invert: Bool)
    /// ByteLevel (pre_tokenizers/byte_level.rs): optional prefix space, optional GPT-2 regex split,
    /// then every UTF-8 byte becomes its printable character.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// Digits (pre_tokenizers/digits.rs): numbers isolated, one digit per piece when `individual`.
    case digits(individual: Bool)
    /// Metaspace (pre_tokenizers/metaspace.rs): spaces become `replacement`, which is prepended per
    /// `prependScheme`, and optionally split before each replacement character.
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)
    /// WhitespaceSplit (pre_tokenizers/whitespace.rs): split on whitespace, which is dropped.
    case whitespaceSplit
    /// Whitespace (pre_tokenizers/whitespace.rs): `\w+|[^\w\s]+`.
    case whitespace(ICURegex)

    func preTokenize(_ pieces: [PreToken]) -> [PreToken] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.preTokenize($0) }

        case .split(let pattern, let behavior, let invert):
            return Self.split(pieces) { scalars in
                behavior.split(scalars, matches: pattern.matches(in: scalars), invert: invert)
            }

        case .byteLevel(let addPrefixSpace, let useRegex):
            var result: [PreToken] = []
            for piece in pieces {
                var scalars = piece.scalars
                if addPrefixSpace, scalars.first != " " { scalars.insert(" ", at: 0) }
                let slice = scalars[...]
                let ranges = useRegex
                    ? SplitBehavior.isolated.split(slice, matches: SplitPattern.gpt2.matches(in: slice), invert: false)
                    : [slice.indices]
                for range in ranges where !range.isEmpty {
                    result.append(
                        PreToken(
                            scalars: ByteLevel.encode(scalars[range]),
                            startsText: piece.startsText && range.lowerBound == 0))
                }
            }
            return result

        case .digits(let individual):
            let behavior: SplitBehavior = individual ? .isolated : .contiguous
            return Self.split(pieces) { scalars in
                var matches: [Range<Int>] = []
                for index in scalars.indices where UnicodeClass.isNumber(scalars[index]) {
                    matches.append(index..<(index + 1))
                }
                return behavior.split(scalars, matches: matches, invert: false)
            }

        case .metaspace(let replacement, let prependScheme, let split):
            var result: [PreToken] = []
            for piece in pieces {
                var scalars = piece.scalars.map { $0 == " " ? replacement : $0 }
                let prepend: Bool
                switch prependScheme {
                case .always: prepend = scalars.first != replacement
                case .first: prepend = scalars.first != replacement && piece.startsText
                case .never: prepend = false
                }
                if prepend { scalars.insert(replacement, at: 0) }
                let modified = PreToken(scalars: scalars, startsText: piece.startsText)
                if split {
                    result += Self.split([modified]) { scalars in
                        var matches: [Range<Int>] = []
                        for index in scalars.indices where scalars[index] == replacement {
                            matches.append(index..<(index + 1))
                        }
                        return SplitBehavior.mergedWithNext.split(scalars, matches: matches, invert: false)
                    }
                } else if !scalars.isEmpty {
                    result.append(modified)
                }
            }
            return result

        case .whitespaceSplit:
            return Self.split(pieces) { scalars in
                var matches: [Range<Int>] = []
                for index in scalars.indices where UnicodeClass.isWhitespace(scalars[index]) {
                    matches.append(index..<(index + 1))
                }
                return SplitBehavior.removed.split(scalars, matches: matches, invert: false)
            }

        case .whitespace(let regex):
            return Self.split(pieces) { scalars in
                SplitBehavior.removed.split(scalars, matches: regex.matches(in: scalars), invert: true)
            }
        }
    }

    /// Applies `ranges` to each piece; a sub-piece starts the text only if it starts its piece.
    private static func split(
        _ pieces: [PreToken],
        ranges: (ArraySlice<Unicode.Scalar>) -> [Range<Int>]
    ) -> [PreToken] {
        var result: [PreToken] = []
        result.reserveCapacity(pieces.count)
        for piece in pieces {
            for range in ranges(piece.scalars[...]) where !range.isEmpty {
                result.append(
                    PreToken(
                        scalars: Array(piece.scalars[range]),
                        startsText: piece.startsText && range.lowerBound == 0))
            }
        }
        return result
    }
}

extension PreTokenizer {
    /// Reads the `pre_tokenizer` member of tokenizer.json.
    init(json: JSONValue) throws(ConfigurationError) {
        let type = try json.requiredString("type", in: "pre_tokenizer")
        switch type {
        case "Sequence":
            let items = try json.requiredArray("pretokenizers", in: "Sequence pre-tokenizer")
            var steps: [PreTokenizer] = []
            for item in items { steps.append(try PreTokenizer(json: item)) }
            self = .sequence(steps)

        case "Split":
            let behaviorName = try json.requiredString("behavior", in: "Split pre-tokenizer")
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw .invalid("Split pre-tokenizer: unknown behavior \"\(behaviorName)\"")
            }
            let pattern: SplitPattern
            if let string = json["pattern"]?["String"]?.stringValue {
                pattern = .literal(Array(string.unicodeScalars))
            } else if let regex = json["pattern"]?["Regex"]?.stringValue {
                do {
                    pattern = try SplitPattern.regex(regex)
                } catch {
                    throw .invalid("Split pre-tokenizer: regex \"\(regex)\" is not supported by ICU")
                }
            } else {
                throw .invalid("Split pre-tokenizer: pattern must be {\"String\": ...} or {\"Regex\": ...}")
            }
            self = .split(pattern, behavior: behavior, invert: json["invert"]?.boolValue ?? false)

        case "ByteLevel":
            // trim_offsets only changes offsets, which this implementation does not report.
            self = .byteLevel(
                addPrefixSpace: json["add_prefix_space"]?.boolValue ?? true,
                useRegex: json["use_regex"]?.boolValue ?? true)

        case "Digits":
            self = .digits(individual: json["individual_digits"]?.boolValue ?? false)

        case "Metaspace":
            let replacementText = json["replacement"]?.stringValue ?? "\u{2581}"
            guard replacementText.unicodeScalars.count == 1, let replacement = replacementText.unicodeScalars.first
            else {
                throw .invalid("Metaspace pre-tokenizer: replacement must be one character")
            }
            self = .metaspace(
                replacement: replacement, prependScheme: try PrependScheme(metaspaceJSON: json),
                split: json["split"]?.boolValue ?? true)

        case "WhitespaceSplit":
            self = .whitespaceSplit

        case "Whitespace":
            do {
                self = .whitespace(try ICURegex(pattern: #"\w+|[^\w\s]+"#))
            } catch {
                throw .invalid("Whitespace pre-tokenizer: regex unavailable")
            }

        default:
            throw .unsupported("pre-tokenizer", type: type)
        }
    }
}

extension PrependScheme {
    /// `prepend_scheme`, or the older `add_prefix_space` (true: always, false: never); default always.
    init(metaspaceJSON json: JSONValue) throws(ConfigurationError) {
        if let name = json["prepend_scheme"]?.stringValue {
            guard let scheme = PrependScheme(rawValue: name) else {
                throw .invalid("Metaspace: unknown prepend_scheme \"\(name)\"")
            }
            self = scheme
        } else if json["add_prefix_space"]?.boolValue == false {
            self = .never
        } else {
            self = .always
        }
    }
}
