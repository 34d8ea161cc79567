// Decoders: token strings -> text (tokenizers/src/decoders/).
//
// `decodeChain` mirrors HF's `Decoder::decode_chain` (a list of strings in, a list out; the final text is
// their concatenation), so that `Tokenizer.decode` gives HF's text exactly, replacement characters
// included. `StreamingDecoder` uses the per-token view of the same chain (`streamingBytes`).

indirect enum Decoder: Sendable {
    case sequence([Decoder])
    /// ByteLevel (decoders/byte_level.rs): characters back to bytes; the bytes of all tokens are joined
    /// and read as UTF-8, invalid sequences becoming U+FFFD.
    case byteLevel
    /// Replace (normalizers/replace.rs used as a decoder): in each token.
    case replace(ReplacePattern, content: String)
    /// ByteFallback (decoders/byte_fallback.rs): runs of "<0xNN>" tokens become the text they encode;
    /// a run that is not valid UTF-8 becomes one U+FFFD per byte.
    case byteFallback
    /// Fuse (decoders/fuse.rs): all tokens into one string.
    case fuse
    /// Strip (decoders/strip.rs): up to `start` leading and `stop` trailing `content` characters of each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    /// Metaspace (pre_tokenizers/metaspace.rs): `replacement` becomes a space, and is dropped from the
    /// first token unless the prepend scheme is "never".
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)

    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let decoders):
            return decoders.reduce(tokens) { $1.decodeChain($0) }

        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens { bytes += ByteLevel.decode(token: token) }
            return [String(decoding: bytes, as: UTF8.self)]

        case .replace(let pattern, let content):
            return tokens.map { pattern.replaceAll(in: $0, with: content) }

        case .byteFallback:
            var result: [String] = []
            var pendingBytes: [UInt8] = []
            func flush() {
                guard !pendingBytes.isEmpty else { return }
                if let text = String(validatingUTF8Bytes: pendingBytes) {
                    result.append(text)
                } else {
                    result += Array(repeating: "\u{FFFD}", count: pendingBytes.count)
                }
                pendingBytes.removeAll()
            }
            for token in tokens {
                if let byte = Self.fallbackByte(token) {
                    pendingBytes.append(byte)
                } else {
                    flush()
                    result.append(token)
                }
            }
            flush()
            return result

        case .fuse:
            return [tokens.joined()]

        case .strip(let content, let start, let stop):
            return tokens.map { Self.strip($0, content: content, start: start, stop: stop) }

        case .metaspace(let replacement, let prependScheme):
            return tokens.enumerated().map { index, token in
                Self.metaspace(token, replacement: replacement, dropReplacement: index == 0 && prependScheme != .never)
            }
        }
    }

    /// The byte of a "<0xNN>" token (exactly six characters, two hex digits).
    static func fallbackByte(_ token: String) -> UInt8? {
        let utf8 = token.utf8
        guard utf8.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">") else { return nil }
        let digits = token.dropFirst(3).prefix(2)
        return UInt8(digits, radix: 16)
    }

    static func strip(_ token: String, content: Unicode.Scalar, start: Int, stop: Int) -> String {
        let scalars = Array(token.unicodeScalars)
        var startCut = 0
        while startCut < min(start, scalars.count), scalars[startCut] == content { startCut += 1 }
        var stopCut = scalars.count
        var stripped = 0
        while stripped < stop, stopCut > startCut, scalars[stopCut - 1] == content {
            stopCut -= 1
            stripped += 1
        }
        if startCut == 0 && stopCut == scalars.count { return token }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[startCut..<stopCut])
        return String(view)
    }

    static func metaspace(_ token: String, replacement: Unicode.Scalar, dropReplacement: Bool) -> String {
        var view = String.UnicodeScalarView()
        for scalar in token.unicodeScalars {
            if scalar == replacement {
                if !dropReplacement { view.append(" ") }
            } else {
                view.append(scalar)
            }
        }
        return String(view)
    }
}

extension String {
    /// The string if `bytes` are valid UTF-8, else nil (Rust `String::from_utf8`).
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard decoded.utf8.elementsEqual(bytes) else { return nil }
        self = decoded
    }
}

// MARK: - Streaming view of a decoder chain

/// A decoder chain seen one token at a time: what bytes each token adds to the output, plus the
/// leading-character strip that Strip applies to the whole text once Fuse (or ByteLevel) has joined the
/// tokens. This is exact for the chains real checkpoints use (ByteLevel; Metaspace; SentencePiece's
/// Replace + ByteFallback + Fuse + Strip); for other chains a step that looks across tokens (a Replace
/// after Fuse matching across a token boundary, Strip's trailing `stop` after Fuse) is applied per token.
struct StreamingPlan: Sendable {
    fileprivate enum Step: Sendable {
        case replace(ReplacePattern, content: String)
        case byteFallback
        case byteLevel
        case strip(content: Unicode.Scalar, start: Int, stop: Int)
        case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)
    }

    fileprivate var steps: [Step] = []
    /// Strip after the tokens were joined: (character, how many at most) removed from the start of the output.
    private(set) var leadingStrip: (content: Unicode.Scalar, count: Int)? = nil
    /// No decoder: HF joins the tokens with spaces.
    private(set) var joinsWithSpaces = false

    init(decoder: Decoder?) {
        guard let decoder else {
            joinsWithSpaces = true
            return
        }
        var joined = false
        flatten(decoder, joined: &joined)
    }

    private mutating func flatten(_ decoder: Decoder, joined: inout Bool) {
        switch decoder {
        case .sequence(let decoders):
            for item in decoders { flatten(item, joined: &joined) }
        case .byteLevel:
            steps.append(.byteLevel)
            joined = true
        case .replace(let pattern, let content):
            steps.append(.replace(pattern, content: content))
        case .byteFallback:
            steps.append(.byteFallback)
        case .fuse:
            joined = true
        case .strip(let content, let start, let stop):
            if joined {
                if start > 0 { leadingStrip = (content, start) }
            } else {
                steps.append(.strip(content: content, start: start, stop: stop))
            }
        case .metaspace(let replacement, let prependScheme):
            steps.append(.metaspace(replacement: replacement, prependScheme: prependScheme))
        }
    }

    /// The bytes token `token` adds when it is the `index`-th token decoded (0 for the first).
    func bytes(for token: String, index: Int) -> [UInt8] {
        var text = token
        for step in steps {
            switch step {
            case .replace(let pattern, let content):
                text = pattern.replaceAll(in: text, with: content)
            case .byteFallback:
                if let byte = Decoder.fallbackByte(text) { return [byte] }
            case .byteLevel:
                return ByteLevel.decode(token: text)
            case .strip(let content, let start, let stop):
                text = Decoder.strip(text, content: content, start: start, stop: stop)
            case .metaspace(let replacement, let prependScheme):
                text = Decoder.metaspace(
                    text, replacement: replacement, dropReplacement: index == 0 && prependScheme != .never)
            }
        }
        if joinsWithSpaces, index > 0 { return [0x20] + Array(text.utf8) }
        return Array(text.utf8)
    }
}

extension Decoder {
    /// Reads the `decoder` member of tokenizer.json.
    init(json: JSONValue) throws(ConfigurationError) {
        let type = try json.requiredString("type", in: "decoder")
        switch type {
        case "Sequence":
            var decoders: [Decoder] = []
            for item in try json.requiredArray("decoders", in: "Sequence decoder") {
                decoders.append(try Decoder(json: item))
            }
            self = .sequence(decoders)
        case "ByteLevel":
            self = .byteLevel
        case "Replace":
            self = .replace(
                try ReplacePattern(json: json["pattern"], in: "Replace decoder"),
                content: try json.requiredString("content", in: "Replace decoder"))
        case "ByteFallback":
            self = .byteFallback
        case "Fuse":
            self = .fuse
        case "Strip":
            let content = try json.requiredString("content", in: "Strip decoder")
            guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first else {
                throw .invalid("Strip decoder: content must be one character")
            }
            self = .strip(content: scalar, start: json["start"]?.intValue ?? 0, stop: json["stop"]?.intValue ?? 0)
        case "Metaspace":
            let replacementText = json["replacement"]?.stringValue ?? "\u{2581}"
            guard replacementText.unicodeScalars.count == 1, let replacement = replacementText.unicodeScalars.first
            else {
                throw .invalid("Metaspace decoder: replacement must be one character")
            }
            self = .metaspace(replacement: replacement, prependScheme: try PrependScheme(metaspaceJSON: json))
        default:
            throw .unsupported("decoder", type: type)
        }
    }
}
