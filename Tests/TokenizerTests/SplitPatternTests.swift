// The hand-written matchers of the GPT-2, LLaMA-3 and Qwen2 regexes agree with ICU's NSRegularExpression
// on the same patterns (and with Oniguruma, through the HF ids of the fuzz tests).

import Foundation
import Testing

@testable import Tokenizer

@Suite("Split patterns")
struct SplitPatternTests {
    static let patterns: [(name: String, regex: String, handWritten: SplitPattern)] = [
        ("gpt2", KnownRegex.gpt2, .gpt2),
        ("llama3", KnownRegex.llama3, .cl100k(maximumDigits: 3)),
        ("qwen2", KnownRegex.qwen2, .cl100k(maximumDigits: 1)),
    ]

    @Test("known regexes are recognised")
    func recognised() throws {
        for (_, regex, _) in Self.patterns {
            guard case .icu = try SplitPattern.regex(regex) else { continue }
            Issue.record("\(regex) went to ICU")
        }
        guard case .icu = try SplitPattern.regex(#"\p{N}+"#) else {
            Issue.record("an unknown regex must go to ICU")
            return
        }
    }

    @Test("hand-written matchers equal ICU on every fuzz text")
    func equalICU() throws {
        let texts = try FuzzVectors.load("qwen2").texts.map(\.text) + [
            "'s'S'ſ'K", "a  \n\n  b", " \u{3000}x", "\t\tx", "123456789", "٣٤٥six", "!!\r\n\r\n", "x ", "  ",
        ]
        for (name, regex, handWritten) in Self.patterns {
            let icu = try ICURegex(pattern: regex)
            var differences = 0
            for text in texts {
                let scalars = Array(text.unicodeScalars)[...]
                let expected = icu.matches(in: scalars)
                let got = handWritten.matches(in: scalars)
                if expected != got {
                    differences += 1
                    if differences <= 3 {
                        Issue.record("\(name): \(String(reflecting: text)): ICU \(expected), hand-written \(got)")
                    }
                }
            }
            #expect(differences == 0, "\(name): \(differences) of \(texts.count) texts differ")
        }
    }

    /// The example of tokenizers/src/tokenizer/normalizer.rs's split tests: "The-final--countdown" on "-".
    @Test("split behaviours", arguments: [
        (SplitBehavior.removed, false, ["The", "final", "countdown"]),
        (.isolated, false, ["The", "-", "final", "-", "-", "countdown"]),
        (.mergedWithPrevious, false, ["The-", "final-", "-", "countdown"]),
        (.mergedWithNext, false, ["The", "-final", "-", "-countdown"]),
        (.contiguous, false, ["The", "-", "final", "--", "countdown"]),
        (.removed, true, ["-", "-", "-"]),
    ])
    func behaviours(behavior: SplitBehavior, invert: Bool, expected: [String]) {
        let scalars = Array("The-final--countdown".unicodeScalars)[...]
        let matches = SplitPattern.literal(["-"]).matches(in: scalars)
        let pieces = behavior.split(scalars, matches: matches, invert: invert).map { range in
            String(String.UnicodeScalarView(scalars[range]))
        }
        #expect(pieces == expected)
    }
}
