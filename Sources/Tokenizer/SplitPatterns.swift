// The patterns that split text into pre-tokens, and HF's split behaviours.
//
// The regexes real checkpoints use are matched by hand (exactly, alternative by alternative, with the
// backtracking of `\s+(?!\S)` and `\s*[\r\n]+` written out): GPT-2's (ByteLevel use_regex), and the
// cl100k-style one of LLaMA-3 (\p{N}{1,3}) and Qwen2 (\p{N}). Any other regex goes to ICU through
// NSRegularExpression, whose syntax covers what tokenizer.json files use (\p{..}, (?i:..), (?!..)).
// The hand-written matchers were checked against HF tokenizers (Oniguruma) on a fuzz corpus; see
// Tests/TokenizerTests.

import Foundation

/// The exact regex strings found in tokenizer.json files that the hand-written matchers implement.
enum KnownRegex {
    /// tokenizers/src/pre_tokenizers/byte_level.rs (GPT-2's regex plus a final `\s+`).
    static let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    /// LLaMA-3 (meta-llama/Meta-Llama-3-8B tokenizer.json).
    static let llama3 =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Qwen2 / Qwen2.5 (Qwen/Qwen1.5-7B tokenizer.json).
    static let qwen2 =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
}

/// NSRegularExpression is immutable once built and documented as safe to share between threads.
final class ICURegex: @unchecked Sendable {
    let expression: NSRegularExpression

    init(pattern: String) throws {
        expression = try NSRegularExpression(pattern: pattern, options: [])
    }

    /// Matches as scalar-index ranges.
    func matches(in scalars: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        let string = String(text)
        // UTF-16 offset -> scalar index (offset `base` relative), for converting NSRange results.
        var scalarIndexAtUTF16 = [Int](repeating: -1, count: string.utf16.count + 1)
        var utf16Offset = 0
        for (index, scalar) in scalars.enumerated() {
            scalarIndexAtUTF16[utf16Offset] = index
            utf16Offset += scalar.utf16.count
        }
        scalarIndexAtUTF16[utf16Offset] = scalars.count
        let base = scalars.startIndex
        var ranges: [Range<Int>] = []
        let results = expression.matches(in: string, options: [], range: NSRange(location: 0, length: utf16Offset))
        for result in results {
            let range = result.range
            guard range.location != NSNotFound, range.length > 0 else { continue }
            let start = scalarIndexAtUTF16[range.location]
            let end = scalarIndexAtUTF16[range.location + range.length]
            guard start >= 0, end >= 0 else { continue }
            ranges.append((base + start)..<(base + end))
        }
        return ranges
    }
}

/// What a Split pre-tokenizer (or ByteLevel's regex) splits on.
enum SplitPattern: Sendable {
    /// A literal string (`{"String": ...}`).
    case literal([Unicode.Scalar])
    /// GPT-2's regex as ByteLevel uses it.
    case gpt2
    /// The LLaMA-3 / Qwen2 regex; `maximumDigits` is 3 for `\p{N}{1,3}` and 1 for `\p{N}`.
    case cl100k(maximumDigits: Int)
    /// Any other regex.
    case icu(ICURegex)

    static func regex(_ pattern: String) throws -> SplitPattern {
        switch pattern {
        case KnownRegex.gpt2: return .gpt2
        case KnownRegex.llama3: return .cl100k(maximumDigits: 3)
        case KnownRegex.qwen2: return .cl100k(maximumDigits: 1)
        default: return .icu(try ICURegex(pattern: pattern))
        }
    }

    /// Non-overlapping matches, left to right, as ranges of scalar indices (empty matches dropped).
    func matches(in scalars: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        switch self {
        case .literal(let needle):
            return Self.literalMatches(of: needle, in: scalars)
        case .gpt2:
            return Self.scan(scalars, matchEnd: GPT2Regex.matchEnd)
        case .cl100k(let maximumDigits):
            return Self.scan(scalars) { scalars, start in
                CL100KRegex.matchEnd(scalars, start, maximumDigits: maximumDigits)
            }
        case .icu(let regex):
            return regex.matches(in: scalars)
        }
    }

    private static func scan(
        _ scalars: ArraySlice<Unicode.Scalar>,
        matchEnd: (ArraySlice<Unicode.Scalar>, Int) -> Int?
    ) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var position = scalars.startIndex
        while position < scalars.endIndex {
            if let end = matchEnd(scalars, position), end > position {
                ranges.append(position..<end)
                position = end
            } else {
                position += 1
            }
        }
        return ranges
    }

    private static func literalMatches(of needle: [Unicode.Scalar], in scalars: ArraySlice<Unicode.Scalar>)
        -> [Range<Int>]
    {
        guard let first = needle.first, needle.count <= scalars.count else { return [] }
        var ranges: [Range<Int>] = []
        var position = scalars.startIndex
        let last = scalars.endIndex - needle.count
        while position <= last {
            if scalars[position] == first, scalars[position..<(position + needle.count)].elementsEqual(needle) {
                ranges.append(position..<(position + needle.count))
                position += needle.count
            } else {
                position += 1
            }
        }
        return ranges
    }
}

/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
enum GPT2Regex {
    static func matchEnd(_ s: ArraySlice<Unicode.Scalar>, _ start: Int) -> Int? {
        let end = s.endIndex
        let first = s[start]
        // 's|'t|'re|'ve|'m|'ll|'d  (case-sensitive)
        if first == "'", start + 1 < end {
            let second = s[start + 1]
            switch second {
            case "s", "t", "m", "d": return start + 2
            case "r", "v":
                if start + 2 < end, s[start + 2] == "e" { return start + 3 }
            case "l":
                if start + 2 < end, s[start + 2] == "l" { return start + 3 }
            default: break
            }
        }
        // The optional leading space of the next three alternatives.
        let body = first == " " && start + 1 < end ? start + 1 : start
        let bodyScalar = s[body]
        // ` ?\p{L}+`
        if UnicodeClass.isLetter(bodyScalar) {
            return run(s, from: body + 1, while: UnicodeClass.isLetter)
        }
        // ` ?\p{N}+`
        if UnicodeClass.isNumber(bodyScalar) {
            return run(s, from: body + 1, while: UnicodeClass.isNumber)
        }
        // ` ?[^\s\p{L}\p{N}]+`
        if isOther(bodyScalar) {
            return run(s, from: body + 1, while: isOther)
        }
        // The optional space did not lead anywhere: these alternatives are tried on `first` itself,
        // which is then a space (whitespace), so only the whitespace alternatives remain.
        return whitespaceMatchEnd(s, start)
    }

    /// `\s+(?!\S)|\s+` at `start`.
    static func whitespaceMatchEnd(_ s: ArraySlice<Unicode.Scalar>, _ start: Int) -> Int? {
        guard UnicodeClass.isWhitespace(s[start]) else { return nil }
        let runEnd = run(s, from: start + 1, while: UnicodeClass.isWhitespace)
        // `\s+(?!\S)`: at the end of the text the whole run; before a non-space, backtrack one so that
        // the next character is a space. A run of one before a non-space fails; then `\s+` takes it.
        if runEnd == s.endIndex { return runEnd }
        if runEnd - start >= 2 { return runEnd - 1 }
        return runEnd
    }

    static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        !UnicodeClass.isWhitespace(scalar) && !UnicodeClass.isLetter(scalar) && !UnicodeClass.isNumber(scalar)
    }

    static func run(_ s: ArraySlice<Unicode.Scalar>, from: Int, while predicate: (Unicode.Scalar) -> Bool) -> Int {
        var index = from
        while index < s.endIndex, predicate(s[index]) { index += 1 }
        return index
    }
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
enum CL100KRegex {
    static func matchEnd(_ s: ArraySlice<Unicode.Scalar>, _ start: Int, maximumDigits: Int) -> Int? {
        let end = s.endIndex
        let first = s[start]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d); case folding also maps U+017F (long s) to s.
        if first == "'", start + 1 < end {
            switch s[start + 1] {
            case "s", "S", "\u{017F}", "t", "T", "m", "M", "d", "D": return start + 2
            case "r", "R", "v", "V":
                if start + 2 < end, s[start + 2] == "e" || s[start + 2] == "E" { return start + 3 }
            case "l", "L":
                if start + 2 < end, s[start + 2] == "l" || s[start + 2] == "L" { return start + 3 }
            default: break
            }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if UnicodeClass.isLetter(first) {
            return GPT2Regex.run(s, from: start + 1, while: UnicodeClass.isLetter)
        }
        if !UnicodeClass.isNewline(first), !UnicodeClass.isNumber(first), start + 1 < end,
            UnicodeClass.isLetter(s[start + 1])
        {
            return GPT2Regex.run(s, from: start + 2, while: UnicodeClass.isLetter)
        }
        // \p{N}{1,maximumDigits}
        if UnicodeClass.isNumber(first) {
            var index = start + 1
            while index < end, index - start < maximumDigits, UnicodeClass.isNumber(s[index]) { index += 1 }
            return index
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        let body = first == " " && start + 1 < end ? start + 1 : start
        if GPT2Regex.isOther(s[body]) {
            let othersEnd = GPT2Regex.run(s, from: body + 1, while: GPT2Regex.isOther)
            return GPT2Regex.run(s, from: othersEnd, while: UnicodeClass.isNewline)
        }
        guard UnicodeClass.isWhitespace(first) else { return nil }
        // \s*[\r\n]+ : the longest stretch of whitespace that ends with a newline.
        let runEnd = GPT2Regex.run(s, from: start + 1, while: UnicodeClass.isWhitespace)
        var index = runEnd - 1
        while index >= start {
            if UnicodeClass.isNewline(s[index]) { return index + 1 }
            index -= 1
        }
        // \s+(?!\S)|\s+
        return GPT2Regex.whitespaceMatchEnd(s, start)
    }
}

/// How the pieces around a pattern's matches become pre-tokens (tokenizers SplitDelimiterBehavior).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// tokenizers/src/tokenizer/normalizer.rs `NormalizedString::split`: returns the kept pieces,
    /// empty ones dropped (as PreTokenizedString::split drops them).
    func split(_ scalars: ArraySlice<Unicode.Scalar>, matches: [Range<Int>], invert: Bool) -> [Range<Int>] {
        // Cover the whole input with (range, isMatch).
        var marked: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = scalars.startIndex
        for match in matches {
            if previous < match.lowerBound { marked.append((previous..<match.lowerBound, false)) }
            marked.append((match, true))
            previous = match.upperBound
        }
        if previous < scalars.endIndex { marked.append((previous..<scalars.endIndex, false)) }
        if invert { marked = marked.map { ($0.range, !$0.isMatch) } }

        var pieces: [Range<Int>] = []
        switch self {
        case .isolated:
            pieces = marked.map(\.range)
        case .removed:
            pieces = marked.filter { !$0.isMatch }.map(\.range)
        case .contiguous:
            var previousMatch = false
            for (range, isMatch) in marked {
                if isMatch == previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    pieces.append(range)
                }
                previousMatch = isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in marked {
                if isMatch, !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    pieces.append(range)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (range, isMatch) in marked.reversed() {
                if isMatch, !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = range.lowerBound..<last.upperBound
                } else {
                    pieces.append(range)
                }
                previousMatch = isMatch
            }
            pieces.reverse()
        }
        return pieces.filter { !$0.isEmpty }
    }
}
