// Splits template source into tokens, with jinja2's whitespace control applied exactly as
// jinja2/lexer.py (Lexer.tokeniter) does it under transformers' settings trim_blocks=True and
// lstrip_blocks=True:
//   - `{%-` / `{{-` / `{#-` strip all whitespace before the tag; `-%}` / `-}}` / `-#}` strip all after.
//   - trim_blocks: a block or comment tag (`%}`, `#}`) eats the single newline right after it.
//   - lstrip_blocks: spaces and tabs between the start of a line and a block or comment tag are
//     dropped (not before `{{`), unless the tag is written `{%+`.
//   - `+%}` turns trim_blocks off for that tag.
// Newlines are normalised to "\n" and one trailing newline is dropped (keep_trailing_newline=False).
// The lexer works on Unicode scalars, as Python does on code points.

enum TokenKind: Equatable {
    case text(String)
    case variableBegin, variableEnd
    case blockBegin, blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(String)
    case end
}

struct Token {
    let kind: TokenKind
    let line: Int
}

struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var lineStarts: [Int] = [0]

    init(_ source: String) {
        // newline_re.split(source)[::2] joined by "\n", minus one trailing empty line.
        var normalised: [Unicode.Scalar] = []
        normalised.reserveCapacity(source.unicodeScalars.count)
        var previousWasCR = false
        for scalar in source.unicodeScalars {
            if scalar == "\r" {
                normalised.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            normalised.append(scalar)
        }
        if normalised.last == "\n" { normalised.removeLast() }
        scalars = normalised
        for (i, s) in scalars.enumerated() where s == "\n" { lineStarts.append(i + 1) }
    }

    /// 1-based line of a scalar offset.
    func line(at offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    private enum TagKind { case variable, block, comment }

    func tokenize() throws -> [Token] {
        var tokens: [Token] = []
        var pos = 0
        var lineStarting = true
        let n = scalars.count

        while pos < n {
            // Root state: text up to the next "{{", "{%" or "{#".
            guard let (tagStart, kind) = nextTagStart(from: pos) else {
                tokens.append(Token(kind: .text(string(pos, n)), line: line(at: pos)))
                break
            }
            var signPos = tagStart + 2
            var sign: Unicode.Scalar? = nil
            if signPos < n, scalars[signPos] == "-" || scalars[signPos] == "+" {
                sign = scalars[signPos]
                signPos += 1
            }
            var textEnd = tagStart
            if sign == "-" {
                while textEnd > pos, isPythonWhitespace(scalars[textEnd - 1]) { textEnd -= 1 }
            } else if sign != "+" && kind != .variable {
                // lstrip_blocks: only whitespace between the line start and the tag is removed.
                var lineStart = textEnd
                while lineStart > pos, scalars[lineStart - 1] != "\n" { lineStart -= 1 }
                let atLineStart = lineStart > pos || (lineStart == pos && lineStarting)
                if atLineStart, lineStart < textEnd, (lineStart..<textEnd).allSatisfy({ isPythonWhitespace(scalars[$0]) }) {
                    textEnd = lineStart
                }
            }
            if textEnd > pos {
                tokens.append(Token(kind: .text(string(pos, textEnd)), line: line(at: pos)))
            }
            pos = signPos
            let tagLine = line(at: tagStart)

            switch kind {
            case .comment:
                pos = try skipComment(from: pos, openedAt: tagLine)
                lineStarting = pos > 0 && scalars[pos - 1] == "\n"
            case .variable, .block:
                tokens.append(Token(kind: kind == .variable ? .variableBegin : .blockBegin, line: tagLine))
                pos = try tokenizeTag(from: pos, isBlock: kind == .block, into: &tokens)
                lineStarting = pos > 0 && scalars[pos - 1] == "\n"
            }
        }
        tokens.append(Token(kind: .end, line: line(at: n)))
        return tokens
    }

    private func nextTagStart(from start: Int) -> (Int, TagKind)? {
        var i = start
        while i + 1 < scalars.count {
            if scalars[i] == "{" {
                switch scalars[i + 1] {
                case "{": return (i, .variable)
                case "%": return (i, .block)
                case "#": return (i, .comment)
                default: break
                }
            }
            i += 1
        }
        return nil
    }

    /// After `{#`: find `+#}`, `-#}` (plus following whitespace) or `#}` (plus one newline).
    private func skipComment(from start: Int, openedAt line: Int) throws -> Int {
        var i = start
        while i < scalars.count {
            if scalars[i] == "+", matches("#}", at: i + 1) { return i + 3 }
            if scalars[i] == "-", matches("#}", at: i + 1) { return skipWhitespace(from: i + 3) }
            if matches("#}", at: i) {
                return (i + 2 < scalars.count && scalars[i + 2] == "\n") ? i + 3 : i + 2
            }
            i += 1
        }
        throw TemplateError(.syntax, "Missing end of comment tag", line: line)
    }

    /// Inside `{{ ... }}` or `{% ... %}`: names, literals and operators up to the closing tag.
    /// Braces are balanced first, so `{{ {'a': 1} }}` closes at the right `}}`.
    private func tokenizeTag(from start: Int, isBlock: Bool, into tokens: inout [Token]) throws -> Int {
        var i = start
        var balancing: [Unicode.Scalar] = []
        let n = scalars.count
        while i < n {
            let tokenLine = line(at: i)
            if balancing.isEmpty {
                if isBlock {
                    if scalars[i] == "+", matches("%}", at: i + 1) {
                        tokens.append(Token(kind: .blockEnd, line: tokenLine)); return i + 3
                    }
                    if scalars[i] == "-", matches("%}", at: i + 1) {
                        tokens.append(Token(kind: .blockEnd, line: tokenLine)); return skipWhitespace(from: i + 3)
                    }
                    if matches("%}", at: i) {
                        tokens.append(Token(kind: .blockEnd, line: tokenLine))
                        return (i + 2 < n && scalars[i + 2] == "\n") ? i + 3 : i + 2
                    }
                } else {
                    if scalars[i] == "-", matches("}}", at: i + 1) {
                        tokens.append(Token(kind: .variableEnd, line: tokenLine)); return skipWhitespace(from: i + 3)
                    }
                    if matches("}}", at: i) {
                        tokens.append(Token(kind: .variableEnd, line: tokenLine)); return i + 2
                    }
                }
            }
            let c = scalars[i]
            if isPythonWhitespace(c) {
                i += 1
                continue
            }
            if let (value, next) = scanFloat(at: i) {
                tokens.append(Token(kind: .float(value), line: tokenLine)); i = next; continue
            }
            if let (value, next) = try scanInteger(at: i) {
                tokens.append(Token(kind: .integer(value), line: tokenLine)); i = next; continue
            }
            if isNameStart(c) {
                var j = i + 1
                while j < n, isNameContinue(scalars[j]) { j += 1 }
                tokens.append(Token(kind: .name(string(i, j)), line: tokenLine)); i = j; continue
            }
            if c == "'" || c == "\"" {
                let (value, next) = try scanString(at: i)
                tokens.append(Token(kind: .string(value), line: tokenLine)); i = next; continue
            }
            if let op = scanOperator(at: i) {
                switch op {
                case "{": balancing.append("}")
                case "(": balancing.append(")")
                case "[": balancing.append("]")
                case "}", ")", "]":
                    guard let expected = balancing.popLast() else {
                        throw TemplateError(.syntax, "unexpected '\(op)'", line: tokenLine)
                    }
                    if String(expected) != op {
                        throw TemplateError(.syntax, "unexpected '\(op)', expected '\(expected)'", line: tokenLine)
                    }
                default: break
                }
                tokens.append(Token(kind: .op(op), line: tokenLine))
                i += op.unicodeScalars.count
                continue
            }
            throw TemplateError(.syntax, "unexpected char \(pythonStringRepr(String(c))) at \(i)", line: tokenLine)
        }
        throw TemplateError(.syntax, "unexpected end of template, expected '\(isBlock ? "%}" : "}}")'", line: line(at: n))
    }

    // MARK: - Literals

    /// jinja2 float_re: digits with an exponent, or digits '.' digits (optionally with an exponent);
    /// not right after a '.', so `x.0.1` stays an attribute chain.
    private func scanFloat(at start: Int) -> (Double, Int)? {
        guard isDigit(scalars[start]), start == 0 || scalars[start - 1] != "." else { return nil }
        var i = scanDigits(from: start)
        var text = digitsText(start, i)
        var isFloat = false
        if i < scalars.count, scalars[i] == ".", i + 1 < scalars.count, isDigit(scalars[i + 1]) {
            let fractionEnd = scanDigits(from: i + 1)
            text += "." + digitsText(i + 1, fractionEnd)
            i = fractionEnd
            isFloat = true
        }
        if i < scalars.count, scalars[i] == "e" || scalars[i] == "E" {
            var j = i + 1
            var exponentSign = ""
            if j < scalars.count, scalars[j] == "+" || scalars[j] == "-" {
                exponentSign = String(scalars[j])
                j += 1
            }
            if j < scalars.count, isDigit(scalars[j]) {
                let exponentEnd = scanDigits(from: j)
                text += "e" + exponentSign + digitsText(j, exponentEnd)
                i = exponentEnd
                isFloat = true
            }
        }
        guard isFloat, let value = Double(text) else { return nil }
        return (value, i)
    }

    /// jinja2 integer_re: 0b / 0o / 0x prefixes, decimal with `_` separators, or zeros.
    private func scanInteger(at start: Int) throws -> (Int, Int)? {
        guard isDigit(scalars[start]) else { return nil }
        let n = scalars.count
        if scalars[start] == "0", start + 1 < n {
            let radixMark = Character(scalars[start + 1]).lowercased()
            let radix = radixMark == "b" ? 2 : radixMark == "o" ? 8 : radixMark == "x" ? 16 : 0
            if radix != 0 {
                var j = start + 2
                var digits = ""
                while j < n, scalars[j] == "_" || Int(String(scalars[j]), radix: radix) != nil {
                    if scalars[j] != "_" { digits.unicodeScalars.append(scalars[j]) }
                    j += 1
                }
                if !digits.isEmpty {
                    guard let value = Int(digits, radix: radix) else {
                        throw TemplateError(.unsupported, "integer literal too large for 64 bits", line: line(at: start))
                    }
                    return (value, j)
                }
            }
        }
        if scalars[start] == "0" {
            var j = start + 1
            while j < n, scalars[j] == "0" || (scalars[j] == "_" && j + 1 < n && scalars[j + 1] == "0") { j += 1 }
            return (0, j)
        }
        let end = scanDigits(from: start)
        guard let value = Int(digitsText(start, end)) else {
            throw TemplateError(.unsupported, "integer literal too large for 64 bits", line: line(at: start))
        }
        return (value, end)
    }

    /// Digits with single `_` separators between them.
    private func scanDigits(from start: Int) -> Int {
        var i = start
        while i < scalars.count {
            if isDigit(scalars[i]) {
                i += 1
            } else if scalars[i] == "_", i + 1 < scalars.count, isDigit(scalars[i + 1]) {
                i += 1
            } else {
                break
            }
        }
        return i
    }

    private func digitsText(_ start: Int, _ end: Int) -> String {
        var s = ""
        for i in start..<end where scalars[i] != "_" { s.unicodeScalars.append(scalars[i]) }
        return s
    }

    /// A quoted string; escapes are decoded the way jinja2 does it, with Python's "unicode-escape".
    private func scanString(at start: Int) throws -> (String, Int) {
        let quote = scalars[start]
        var i = start + 1
        var raw: [Unicode.Scalar] = []
        while i < scalars.count {
            let c = scalars[i]
            if c == "\\", i + 1 < scalars.count {
                raw.append(c)
                raw.append(scalars[i + 1])
                i += 2
                continue
            }
            if c == quote { return (try decodeEscapes(raw, line: line(at: start)), i + 1) }
            raw.append(c)
            i += 1
        }
        throw TemplateError(.syntax, "unexpected char \(pythonStringRepr(String(quote))) at \(start)", line: line(at: start))
    }

    /// Python's unicode-escape decoding: known escapes become characters, unknown ones stay as written.
    private func decodeEscapes(_ raw: [Unicode.Scalar], line: Int) throws -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        func hexValue(_ count: Int) throws -> Unicode.Scalar {
            let end = i + 1 + count
            guard end <= raw.count, let v = UInt32(String(String.UnicodeScalarView(raw[(i + 1)..<end])), radix: 16),
                  let scalar = Unicode.Scalar(v)
            else { throw TemplateError(.syntax, "invalid \\x/\\u/\\U escape in string literal", line: line) }
            i = end
            return scalar
        }
        while i < raw.count {
            let c = raw[i]
            guard c == "\\", i + 1 < raw.count else {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            let e = raw[i]
            switch e {
            case "\n": i += 1
            case "\\": out.append("\\"); i += 1
            case "'": out.append("'"); i += 1
            case "\"": out.append("\""); i += 1
            case "a": out.append("\u{07}"); i += 1
            case "b": out.append("\u{08}"); i += 1
            case "f": out.append("\u{0C}"); i += 1
            case "n": out.append("\n"); i += 1
            case "r": out.append("\r"); i += 1
            case "t": out.append("\t"); i += 1
            case "v": out.append("\u{0B}"); i += 1
            case "x": out.append(try hexValue(2))
            case "u": out.append(try hexValue(4))
            case "U": out.append(try hexValue(8))
            case "0"..."7":
                var value: UInt32 = 0
                var count = 0
                while count < 3, i < raw.count, ("0"..."7").contains(raw[i]) {
                    value = value * 8 + (raw[i].value - 48)
                    i += 1
                    count += 1
                }
                out.append(Unicode.Scalar(value)!)
            case "N":
                throw TemplateError(.unsupported, "\\N{...} escape in a string literal", line: line)
            default:
                out.append("\\")
                out.append(e)
                i += 1
            }
        }
        return String(out)
    }

    /// jinja2 operators, longest first.
    private func scanOperator(at i: Int) -> String? {
        for op in ["//", "**", "==", "!=", ">=", "<="] where matches(op, at: i) { return op }
        let single: Set<Unicode.Scalar> = ["+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"]
        return single.contains(scalars[i]) ? String(scalars[i]) : nil
    }

    // MARK: - Helpers

    private func matches(_ text: String, at start: Int) -> Bool {
        var i = start
        for s in text.unicodeScalars {
            guard i < scalars.count, scalars[i] == s else { return false }
            i += 1
        }
        return true
    }

    private func skipWhitespace(from start: Int) -> Int {
        var i = start
        while i < scalars.count, isPythonWhitespace(scalars[i]) { i += 1 }
        return i
    }

    private func string(_ start: Int, _ end: Int) -> String {
        String(String.UnicodeScalarView(scalars[start..<end]))
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
    private func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || (c.value > 0x7F && c.properties.isXIDStart)
    }
    private func isNameContinue(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || isDigit(c) || (c.value > 0x7F && c.properties.isXIDContinue)
    }
}

/// Python's str.isspace() / regex \s for one character.
func isPythonWhitespace(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0: return true
    default: return c.value > 0xFF && c.properties.isWhitespace
    }
}
