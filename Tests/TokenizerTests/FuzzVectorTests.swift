// Generated inputs and random id sequences, with HF tokenizers' ids and texts as the expected values
// (scripts/make_tokenizer_fuzz_vectors.py, run by scripts/fetch_tokenizer_vectors.sh). Covers what the
// llama.cpp vectors do not: special tokens inside text, add_special_tokens, NFD input, rare whitespace,
// long SentencePiece words, decoding of broken UTF-8, and three pre-tokenizer variants
// (Digits + ByteLevel as in SmolLM2, a Split regex handled by ICU, Metaspace in its two forms).

import Foundation
import Testing

@testable import Tokenizer

struct FuzzVectors {
    struct Text {
        let text: String
        let ids: [Int]
        let idsWithSpecialTokens: [Int]
        let decoded: String
        let decodedSkippingSpecial: String
    }

    struct IdSequence {
        let ids: [Int]
        let decoded: String
        let decodedSkippingSpecial: String
    }

    let texts: [Text]
    let idSequences: [IdSequence]

    static let names =
        Fixtures.vocabularyNames + ["gpt-2-digits", "gpt-2-split-regex", "llama-spm-metaspace", "llama-spm-metaspace-legacy"]

    static func load(_ name: String) throws -> FuzzVectors {
        let url = Fixtures.cacheDirectory.appendingPathComponent("\(name)/fuzz.json")
        try #require(FileManager.default.fileExists(atPath: url.path), Fixtures.missingMessage)
        // Read with the tokenizer's own JSON parser: Foundation's JSONSerialization on Linux drops a
        // U+FEFF at the start of a string, which the inputs contain on purpose.
        let root = try JSONParser.parse(Data(contentsOf: url))
        func ids(_ value: JSONValue?) throws -> [Int] {
            try #require(value?.arrayValue).map { try #require($0.intValue) }
        }
        func text(_ value: JSONValue?) throws -> String {
            try #require(value?.stringValue)
        }
        return FuzzVectors(
            texts: try #require(root["texts"]?.arrayValue).map { item in
                Text(
                    text: try text(item["text"]),
                    ids: try ids(item["ids"]),
                    idsWithSpecialTokens: try ids(item["ids_with_special_tokens"]),
                    decoded: try text(item["decoded"]),
                    decodedSkippingSpecial: try text(item["decoded_skipping_special"]))
            },
            idSequences: try #require(root["id_sequences"]?.arrayValue).map { item in
                IdSequence(
                    ids: try ids(item["ids"]),
                    decoded: try text(item["decoded"]),
                    decodedSkippingSpecial: try text(item["decoded_skipping_special"]))
            })
    }
}

@Suite("Fuzz vectors from HF tokenizers")
struct FuzzVectorTests {
    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Fixtures.tokenizer(name)
    }

    @Test("encode matches HF, with and without special tokens", arguments: FuzzVectors.names)
    func encode(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let vectors = try FuzzVectors.load(name)
        var failures = 0
        for vector in vectors.texts {
            let ids = tokenizer.encode(vector.text, addSpecialTokens: false)
            let withSpecial = tokenizer.encode(vector.text, addSpecialTokens: true)
            if ids != vector.ids || withSpecial != vector.idsWithSpecialTokens {
                failures += 1
                if failures <= 5 {
                    Issue.record(
                        "\(name): \(String(reflecting: vector.text)): expected \(vector.ids) / \(vector.idsWithSpecialTokens), got \(ids) / \(withSpecial)")
                }
            }
        }
        #expect(failures == 0, "\(name): \(failures) of \(vectors.texts.count) inputs differ")
    }

    @Test("decode matches HF", arguments: FuzzVectors.names)
    func decode(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let vectors = try FuzzVectors.load(name)
        var failures = 0
        let cases = vectors.texts.map { ($0.ids, $0.decoded, $0.decodedSkippingSpecial) }
            + vectors.idSequences.map { ($0.ids, $0.decoded, $0.decodedSkippingSpecial) }
        for (ids, decoded, decodedSkipping) in cases {
            let text = tokenizer.decode(ids)
            let skipping = tokenizer.decode(ids, skipSpecialTokens: true)
            if text != decoded || skipping != decodedSkipping {
                failures += 1
                if failures <= 5 {
                    Issue.record(
                        "\(name): \(ids): expected \(String(reflecting: decoded)) / \(String(reflecting: decodedSkipping)), got \(String(reflecting: text)) / \(String(reflecting: skipping))")
                }
            }
        }
        #expect(failures == 0, "\(name): \(failures) of \(cases.count) id sequences decode differently")
    }
}
