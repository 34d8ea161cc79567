// Bad input gives a one-line error naming the file and the problem, never a crash.

import Foundation
import Testing

@testable import Tokenizer

@Suite("Errors")
struct ErrorTests {
    /// A minimal valid tokenizer.json with one part replaced.
    static func tokenizerJSON(
        model: String = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#,
        normalizer: String = "null", preTokenizer: String = "null", decoder: String = "null",
        postProcessor: String = "null"
    ) -> Data {
        Data(
            """
            {"version": "1.0", "added_tokens": [], "normalizer": \(normalizer), "pre_tokenizer": \(preTokenizer),
             "post_processor": \(postProcessor), "decoder": \(decoder), "model": \(model)}
            """.utf8)
    }

    static func loadError(_ data: Data, name: String = "/models/x/tokenizer.json") throws -> TokenizerError {
        do {
            _ = try Tokenizer(jsonData: data, name: name)
        } catch {
            #expect(!error.description.contains("\n"), "one line: \(error.description)")
            #expect(error.description.hasPrefix(name + ": "), "names the file: \(error.description)")
            return error
        }
        Issue.record("expected an error")
        throw CancellationError()
    }

    @Test("the minimal tokenizer.json loads and works")
    func minimalLoads() throws {
        let tokenizer = try Tokenizer(jsonData: Self.tokenizerJSON())
        #expect(tokenizer.encode("ab") == [2])
        #expect(tokenizer.encode("aba") == [2, 0])
        #expect(tokenizer.decode([2, 0]) == "ab a", "no decoder: HF joins tokens with spaces")
        #expect(tokenizer.encode("abc") == [2], "no unk token: unknown characters are dropped, as HF does")
    }

    @Test("missing file")
    func missingFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent/dir/tokenizer.json")
        #expect(throws: TokenizerError(kind: .fileNotFound, file: url.path, message: "file not found")) {
            try Tokenizer(contentsOf: url)
        }
        #expect(throws: TokenizerError.self) { try TokenizerConfig(contentsOf: url) }
    }

    @Test("a directory without tokenizer.json")
    func directoryWithoutTokenizer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-test-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try Tokenizer(contentsOf: directory)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .fileNotFound)
            #expect(error.description == "\(directory.appendingPathComponent("tokenizer.json").path): file not found")
        }
    }

    @Test("invalid JSON", arguments: ["", "{", "{\"model\": }", "[1, 2", "{\"a\": \"\\u12\"}", "nul", "{} x", "\"\u{01}\""])
    func invalidJSON(text: String) throws {
        let error = try Self.loadError(Data(text.utf8))
        #expect(error.kind == .invalidJSON)
        #expect(error.message.hasPrefix("invalid JSON: "))
    }

    @Test("invalid UTF-8 in the file")
    func invalidUTF8() throws {
        let error = try Self.loadError(Data([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]))  // {"\xFF":1}
        #expect(error.kind == .invalidJSON)
    }

    @Test("unsupported components are named", arguments: [
        (tokenizerJSON(model: #"{"type": "WordPiece", "vocab": {}}"#), "model", "WordPiece"),
        (tokenizerJSON(model: #"{"type": "Unigram", "vocab": []}"#), "model", "Unigram"),
        (tokenizerJSON(normalizer: #"{"type": "Precompiled", "precompiled_charsmap": ""}"#), "normalizer", "Precompiled"),
        (tokenizerJSON(normalizer: #"{"type": "Sequence", "normalizers": [{"type": "BertNormalizer"}]}"#), "normalizer", "BertNormalizer"),
        (tokenizerJSON(preTokenizer: #"{"type": "BertPreTokenizer"}"#), "pre-tokenizer", "BertPreTokenizer"),
        (tokenizerJSON(decoder: ###"{"type": "WordPiece", "prefix": "##"}"###), "decoder", "WordPiece"),
        (tokenizerJSON(postProcessor: #"{"type": "Fancy"}"#), "post-processor", "Fancy"),
    ])
    func unsupported(data: Data, component: String, type: String) throws {
        let error = try Self.loadError(data)
        #expect(error.kind == .unsupported(component: type))
        #expect(error.message == "unsupported \(component) type \"\(type)\"")
    }

    @Test("invalid configurations", arguments: [
        (Data("[]".utf8), "expected a JSON object"),
        (Data("{}".utf8), "no \"model\""),
        (tokenizerJSON(model: #"{"type": "BPE", "vocab": [], "merges": []}"#), "\"vocab\" must be an object"),
        (tokenizerJSON(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}"#), "\"b\", which is not in the vocabulary"),
        (tokenizerJSON(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}"#), "makes \"ab\""),
        (tokenizerJSON(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}"#), "not two tokens"),
        (tokenizerJSON(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": [1]}"#), "merge 0 is a number"),
        (tokenizerJSON(model: #"{"type": "BPE", "vocab": {"a": -1}, "merges": []}"#), "no valid id"),
        (tokenizerJSON(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}"#), "unk_token"),
        (tokenizerJSON(preTokenizer: #"{"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Isolated"}"#), "not supported by ICU"),
        (tokenizerJSON(preTokenizer: #"{"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}"#), "unknown behavior"),
        (tokenizerJSON(preTokenizer: #"{"type": "Sequence"}"#), "missing array \"pretokenizers\""),
        (Data(#"{"added_tokens": [{"id": 9223372036854775807, "content": "x"}], "model": {"type": "BPE", "vocab": {}, "merges": []}}"#.utf8), "no valid \"id\""),
        (tokenizerJSON(postProcessor: #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {}}"#), "not in special_tokens"),
    ])
    func invalidConfiguration(data: Data, messagePart: String) throws {
        let error = try Self.loadError(data)
        #expect(error.kind == .invalidConfiguration)
        #expect(error.message.contains(messagePart), "\(error.message)")
    }

    @Test("encode and decode never fail on odd input")
    func oddInputs() throws {
        let tokenizer = try Fixtures.tokenizer("llama-spm")
        for text in ["", "\u{0000}", "\u{FFFF}", "\u{10FFFF}", String(repeating: "a", count: 20_000), "\r\n\r\n", "\u{2581}"] {
            let ids = tokenizer.encode(text)
            #expect(ids.first == 1)
            _ = tokenizer.decode(ids)
        }
        #expect(tokenizer.decode([]) == "")
        #expect(tokenizer.decode([Int.max, Int.min, -1]) == "")
        var stream = tokenizer.streamingDecoder()
        #expect(stream.append(Int.max) == "")
        #expect(stream.finish() == "")
    }
}
