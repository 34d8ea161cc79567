// decode(encode(text)) == text where the tokenizer is lossless.

import Foundation
import Testing

@testable import Tokenizer

@Suite("Round trips")
struct RoundTripTests {
    /// Byte-level without a normalizer: every text comes back, added tokens included.
    @Test("byte-level tokenizers are lossless", arguments: ["gpt-2", "llama-bpe", "gpt-2-digits", "gpt-2-split-regex"])
    func byteLevel(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for vector in try FuzzVectors.load(name).texts {
            #expect(tokenizer.decode(tokenizer.encode(vector.text, addSpecialTokens: false)) == vector.text)
        }
    }

    /// Qwen2 normalizes to NFC first: lossless for NFC text.
    @Test("qwen2 is lossless on NFC text")
    func qwen2() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2")
        var checked = 0
        for vector in try FuzzVectors.load("qwen2").texts
        where vector.text.unicodeScalars.elementsEqual(vector.text.precomposedStringWithCanonicalMapping.unicodeScalars) {
            #expect(tokenizer.decode(tokenizer.encode(vector.text)) == vector.text)
            checked += 1
        }
        #expect(checked > 300)
    }

    /// SentencePiece-style: lossless for text without added tokens (the text after one gets its own "▁")
    /// and without "▁" (which decodes to a space). A leading space survives: Prepend adds "▁" and the
    /// decoder strips one. (Not so the Metaspace variant: its decoder has no byte fallback.)
    @Test("SentencePiece-style tokenizers are lossless on plain text", arguments: ["llama-spm", "phi-3"])
    func sentencePiece(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        var checked = 0
        for vector in try FuzzVectors.load(name).texts where !vector.text.unicodeScalars.contains("\u{2581}") {
            let ids = tokenizer.encode(vector.text, addSpecialTokens: false)
            if ids.contains(where: { tokenizer.core.addedTokenContents[$0] != nil }) { continue }
            #expect(tokenizer.decode(ids) == vector.text, "\(name): \(String(reflecting: vector.text))")
            checked += 1
        }
        #expect(checked > 200)
    }
}
