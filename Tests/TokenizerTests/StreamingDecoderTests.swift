// The streaming decoder returns, token by token, exactly the text of a whole decode, and never a
// broken UTF-8 sequence.

import Foundation
import Testing

@testable import Tokenizer

@Suite("Streaming decoder")
struct StreamingDecoderTests {
    /// Feeds `ids` one by one; returns the chunks (the last one from finish()).
    static func stream(_ tokenizer: Tokenizer, _ ids: [Int], skipSpecialTokens: Bool = false) -> [String] {
        var decoder = tokenizer.streamingDecoder(skipSpecialTokens: skipSpecialTokens)
        var chunks = ids.map { decoder.append($0) }
        chunks.append(decoder.finish())
        return chunks
    }

    @Test("the chunks join to the whole decode, for every fuzz text", arguments: FuzzVectors.names)
    func joinsToWholeDecode(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        var checked = 0
        for vector in try FuzzVectors.load(name).texts {
            for skip in [false, true] {
                let whole = tokenizer.decode(vector.ids, skipSpecialTokens: skip)
                let chunks = Self.stream(tokenizer, vector.ids, skipSpecialTokens: skip)
                #expect(chunks.joined() == whole, "\(name): \(String(reflecting: vector.text))")
                // Valid text never produces a replacement character in a chunk (no broken scalar).
                if !whole.contains("\u{FFFD}") {
                    #expect(!chunks.contains { $0.contains("\u{FFFD}") }, "\(name): \(String(reflecting: vector.text))")
                }
                checked += 1
            }
        }
        #expect(checked > 1000)
    }

    @Test("an emoji over four byte-fallback tokens comes out whole with the fourth")
    func emojiOverByteFallbackTokens() throws {
        let tokenizer = try Fixtures.tokenizer("phi-3")
        // "<s>", "▁", <0xF0>, <0x9F>, <0xA6>, <0x99>
        let ids = [1, 29871, 243, 162, 169, 156]
        #expect(tokenizer.encode("🦙") == ids)
        #expect(Self.stream(tokenizer, ids) == ["<s>", " ", "", "", "", "🦙", ""])
        // Without the BOS, the "▁" token starts the text and Strip removes its space.
        #expect(Self.stream(tokenizer, ids, skipSpecialTokens: true) == ["", "", "", "", "", "🦙", ""])
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "🦙")
    }

    @Test("SentencePiece: only the first token loses its leading space")
    func leadingSpaceOfFirstTokenOnly() throws {
        let tokenizer = try Fixtures.tokenizer("llama-spm")
        let ids = tokenizer.encode("Hello world, hello", addSpecialTokens: false)
        let chunks = Self.stream(tokenizer, ids)
        #expect(chunks.first == "Hello")
        #expect(chunks.joined() == "Hello world, hello")
        // " 你好" is "▁▁", "你", "好": one of the two spaces is stripped.
        let spaced = tokenizer.encode(" 你好", addSpecialTokens: false)
        #expect(Self.stream(tokenizer, spaced) == [" ", "你", "好", ""])
    }

    @Test("byte-level: CJK and emoji split over tokens are held back until complete")
    func byteLevelHoldsBack() throws {
        let tokenizer = try Fixtures.tokenizer("gpt-2")
        let ids = tokenizer.encode(" 你好🦙")
        #expect(ids == [220, 19526, 254, 25001, 121, 8582, 99, 247])
        #expect(Self.stream(tokenizer, ids) == [" ", "", "你", "", "好", "", "", "🦙", ""])
    }

    @Test("a stream that ends inside a character flushes a replacement character")
    func finishFlushesIncompleteSequence() throws {
        let tokenizer = try Fixtures.tokenizer("gpt-2")
        let chunks = Self.stream(tokenizer, [8582, 99])  // the first two tokens of "🦙"
        #expect(chunks == ["", "", "\u{FFFD}"])
        #expect(tokenizer.decode([8582, 99]) == "\u{FFFD}")
    }

    @Test("random id sequences: same text as the whole decode where it is valid UTF-8", arguments: FuzzVectors.names)
    func randomIds(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        for sequence in try FuzzVectors.load(name).idSequences where !sequence.decoded.contains("\u{FFFD}") {
            #expect(Self.stream(tokenizer, sequence.ids).joined() == sequence.decoded)
        }
    }

    @Test("completePrefixLength holds back only sequences that can still complete")
    func completePrefixLength() {
        #expect(StreamingDecoder.completePrefixLength([]) == 0)
        #expect(StreamingDecoder.completePrefixLength([0x41]) == 1)
        #expect(StreamingDecoder.completePrefixLength([0x41, 0xF0, 0x9F]) == 1)
        #expect(StreamingDecoder.completePrefixLength([0xF0, 0x9F, 0xA6, 0x99]) == 4)
        #expect(StreamingDecoder.completePrefixLength([0xE4, 0xBD]) == 0)
        #expect(StreamingDecoder.completePrefixLength([0x80]) == 1, "a stray continuation byte cannot complete")
        #expect(StreamingDecoder.completePrefixLength([0xE0, 0x80]) == 2, "overlong: E0 needs A0...BF next")
        #expect(StreamingDecoder.completePrefixLength([0xED, 0xA0]) == 2, "surrogate: ED needs 80...9F next")
        #expect(StreamingDecoder.completePrefixLength([0xF5]) == 1, "F5 never starts a sequence")
    }
}
