// Added and special tokens inside text, each option of added_tokens, the post-processor, and both
// JSON forms of merges. Expected ids: HF tokenizers on the same files
// (scripts/make_tokenizer_test_fixtures.py prints them).

import Foundation
import Testing

@testable import Tokenizer

@Suite("Added tokens, post-processor, merge forms")
struct AddedTokenTests {
    /// The fixture: 256 byte characters, merges up to "Ġworld" and "hello", a Lowercase normalizer, and
    /// <bos> 266 (special, BOS of the template), <|special|> 267 (special), <mask> 268 (special, lstrip +
    /// rstrip), [WORD] 269 (single_word), "hello" 264 (normalized: matches after lowercasing).
    static let fixtureNames = ["bytelevel-merge-strings.json", "bytelevel-merge-pairs.json"]

    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let ids: [Int]
        let decoded: String
        let decodedSkippingSpecial: String
        var testDescription: String { String(reflecting: text) }
    }

    static let cases: [Case] = [
        Case(text: "hello world", ids: [264, 260], decoded: "hello world", decodedSkippingSpecial: "hello world"),
        // Lowercase normalizer, then "hello" (normalized) and the merges.
        Case(text: "Hello World", ids: [264, 260], decoded: "hello world", decodedSkippingSpecial: "hello world"),
        Case(text: "<bos>hello", ids: [266, 264], decoded: "<bos>hello", decodedSkippingSpecial: "hello"),
        // lstrip and rstrip take the spaces on both sides of <mask>.
        Case(text: "say <mask>  world", ids: [115, 97, 121, 268, 119, 257, 259], decoded: "say<mask>world",
             decodedSkippingSpecial: "sayworld"),
        Case(text: "a<mask>b", ids: [97, 268, 98], decoded: "a<mask>b", decodedSkippingSpecial: "ab"),
        // single_word: matched between spaces, not inside a word.
        Case(text: "x [WORD] y", ids: [120, 32, 269, 32, 121], decoded: "x [WORD] y", decodedSkippingSpecial: "x [WORD] y"),
        Case(text: "x[WORD]y", ids: [120, 91, 119, 257, 100, 93, 121], decoded: "x[word]y", decodedSkippingSpecial: "x[word]y"),
        Case(text: "[WORD]", ids: [269], decoded: "[WORD]", decodedSkippingSpecial: "[WORD]"),
        Case(text: "HELLO there", ids: [264, 32, 116, 261, 114, 101], decoded: "hello there", decodedSkippingSpecial: "hello there"),
        Case(text: "say hello!", ids: [115, 97, 121, 32, 264, 33], decoded: "say hello!", decodedSkippingSpecial: "say hello!"),
        Case(text: "<|special|><|special|>", ids: [267, 267], decoded: "<|special|><|special|>", decodedSkippingSpecial: ""),
        Case(text: "héllo 🦙", ids: [104, 195, 169, 262, 111, 32, 240, 159, 166, 153], decoded: "héllo 🦙",
             decodedSkippingSpecial: "héllo 🦙"),
    ]

    @Test("encode and decode match HF", arguments: fixtureNames, cases)
    func encodeAndDecode(fixture: String, example: Case) throws {
        let tokenizer = try Tokenizer(contentsOf: Fixtures.resource(fixture))
        #expect(tokenizer.encode(example.text, addSpecialTokens: false) == example.ids)
        #expect(tokenizer.encode(example.text) == [266] + example.ids, "the template adds <bos>")
        #expect(tokenizer.decode(example.ids) == example.decoded)
        #expect(tokenizer.decode(example.ids, skipSpecialTokens: true) == example.decodedSkippingSpecial)
    }

    @Test("token lookups, special flags and vocabulary size", arguments: fixtureNames)
    func lookups(fixture: String) throws {
        let tokenizer = try Tokenizer(contentsOf: Fixtures.resource(fixture))
        #expect(tokenizer.vocabularySize == 270)
        #expect(tokenizer.id(forToken: "<mask>") == 268)
        #expect(tokenizer.id(forToken: "Ġworld") == 260)
        #expect(tokenizer.id(forToken: "nope") == nil)
        #expect(tokenizer.token(forId: 260) == "Ġworld")
        #expect(tokenizer.token(forId: 269) == "[WORD]")
        #expect(tokenizer.token(forId: 270) == nil)
        #expect(tokenizer.token(forId: -1) == nil)
        #expect(tokenizer.isSpecialToken(266) && tokenizer.isSpecialToken(268))
        #expect(!tokenizer.isSpecialToken(269) && !tokenizer.isSpecialToken(264))
        // Unknown ids are skipped when decoding, as HF does.
        #expect(tokenizer.decode([264, 9999, -5, 260]) == "hello world")
    }

    @Test("both merge forms give the same tokenizer")
    func mergeFormsAgree() throws {
        let strings = try Tokenizer(contentsOf: Fixtures.resource("bytelevel-merge-strings.json"))
        let pairs = try Tokenizer(contentsOf: Fixtures.resource("bytelevel-merge-pairs.json"))
        for text in ["hello world", " hello  world hell wor", "Ġ world \u{0120}"] {
            #expect(strings.encode(text) == pairs.encode(text))
        }
    }

    @Test("a real vocabulary with its merges rewritten as \"a b\" strings encodes the same")
    func realVocabularyWithStringMerges() throws {
        let directory = try Fixtures.vocabularyDirectory("gpt-2")
        let text = String(decoding: try Data(contentsOf: directory.appendingPathComponent("tokenizer.json")), as: UTF8.self)
        // The converter writes merges as ["a","b"]; byte-level tokens never contain a space or a quote
        // escape other than \" and \\, so a textual rewrite to "a b" is exact.
        let start = try #require(text.range(of: "\"merges\":["))
        let merges = text[start.upperBound...]
        let pair = try NSRegularExpression(pattern: #"\["((?:[^"\\]|\\.)*)","((?:[^"\\]|\\.)*)"\]"#)
        let mergesText = String(merges)
        let rewritten = pair.stringByReplacingMatches(
            in: mergesText, range: NSRange(location: 0, length: mergesText.utf16.count), withTemplate: "\"$1 $2\"")
        #expect(rewritten != mergesText)
        let json = String(text[..<start.upperBound]) + rewritten
        let withStrings = try Tokenizer(jsonData: Data(json.utf8), name: "gpt-2 with string merges")
        let original = try Fixtures.tokenizer("gpt-2")
        for vector in try VocabularyVector.load("gpt-2") {
            #expect(withStrings.encode(vector.text, addSpecialTokens: false) == vector.ids)
            #expect(withStrings.encode(vector.text) == original.encode(vector.text))
        }
    }

    @Test("special tokens inside text in real vocabularies")
    func specialTokensInRealVocabularies() throws {
        let qwen2 = try Fixtures.tokenizer("qwen2")
        let chat = "<|im_start|>user\nHello<|im_end|>"
        #expect(qwen2.encode(chat) == [151644, 872, 198, 9707, 151645])
        #expect(qwen2.decode([151644, 872, 198, 9707, 151645]) == chat)
        #expect(qwen2.decode([151644, 872, 198, 9707, 151645], skipSpecialTokens: true) == "user\nHello")

        // LLaMA-3: BOS from the TemplateProcessing post-processor, only with addSpecialTokens.
        let llama3 = try Fixtures.tokenizer("llama-bpe")
        #expect(llama3.encode("Hello world") == [128000, 9906, 1917])
        #expect(llama3.encode("Hello world", addSpecialTokens: false) == [9906, 1917])
        #expect(llama3.encode("<|begin_of_text|>Hello", addSpecialTokens: false) == [128000, 9906])

        // LLaMA-2 / SentencePiece: "<s>" in the text is the BOS token; the text after it is normalized on its own.
        let llama2 = try Fixtures.tokenizer("llama-spm")
        #expect(llama2.encode("Hello world") == [1, 15043, 3186])
        #expect(llama2.decode([1, 15043, 3186]) == "<s> Hello world")
        #expect(llama2.decode([1, 15043, 3186], skipSpecialTokens: true) == "Hello world")
        #expect(llama2.encode("🦙", addSpecialTokens: false) == [29871, 243, 162, 169, 156])
    }
}
