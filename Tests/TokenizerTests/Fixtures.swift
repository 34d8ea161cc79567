// Where the tests find their data.
//
// Real vocabularies and expected ids: fixtures-cache/tokenizers/<name>/ at the repository root, written
// by scripts/fetch_tokenizer_vectors.sh (git-ignored, fetched in CI before `swift test`).
// Small hand-made tokenizer.json files: Tests/TokenizerTests/Fixtures/ (a copied resource).

import Foundation
import Testing

@testable import Tokenizer

enum Fixtures {
    /// The vocabularies fetched by scripts/fetch_tokenizer_vectors.sh.
    static let vocabularyNames = ["qwen2", "gpt-2", "phi-3", "llama-bpe", "llama-spm"]

    static let repositoryRoot: URL = {
        // This file is <root>/Tests/TokenizerTests/Fixtures.swift.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    static let cacheDirectory = repositoryRoot.appendingPathComponent("fixtures-cache/tokenizers")

    static let missingMessage: Comment =
        "tokenizer fixtures are missing: run scripts/fetch_tokenizer_vectors.sh (writes fixtures-cache/tokenizers/)"

    /// The directory of a fetched vocabulary; records a failure (never skips) when it is not there.
    static func vocabularyDirectory(_ name: String) throws -> URL {
        let directory = cacheDirectory.appendingPathComponent(name)
        let file = directory.appendingPathComponent("tokenizer.json").path
        try #require(FileManager.default.fileExists(atPath: file), missingMessage)
        return directory
    }

    /// A hand-made tokenizer.json from the Fixtures resource folder.
    static func resource(_ fileName: String) throws -> URL {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/\(fileName)")
        try #require(FileManager.default.fileExists(atPath: url.path), "missing test resource \(fileName)")
        return url
    }

    /// Loaded vocabularies, shared by the tests (the large ones take a while to load in debug builds).
    private static let loaded = LoadedTokenizers()

    static func tokenizer(_ name: String) throws -> Tokenizer {
        let directory = try vocabularyDirectory(name)
        return try loaded.tokenizer(name) { try Tokenizer(contentsOf: directory) }
    }
}

private final class LoadedTokenizers: @unchecked Sendable {
    private var tokenizers: [String: Tokenizer] = [:]
    private let lock = NSLock()

    func tokenizer(_ name: String, load: () throws -> Tokenizer) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let tokenizer = tokenizers[name] { return tokenizer }
        let tokenizer = try load()
        tokenizers[name] = tokenizer
        return tokenizer
    }
}

/// llama.cpp's test vectors (tests/test-tokenizer-0.cpp format): inputs separated by
/// "\n__ggml_vocab_test__\n"; one line of space-separated expected ids per input, made with
/// `AutoTokenizer.encode(text, add_special_tokens=False)`.
struct VocabularyVector: Sendable {
    let text: String
    let ids: [Int]

    static func load(_ name: String) throws -> [VocabularyVector] {
        let directory = try Fixtures.vocabularyDirectory(name)
        let inputURL = directory.appendingPathComponent("vocab.inp")
        let outputURL = directory.appendingPathComponent("vocab.out")
        try #require(FileManager.default.fileExists(atPath: inputURL.path), Fixtures.missingMessage)
        try #require(FileManager.default.fileExists(atPath: outputURL.path), Fixtures.missingMessage)
        let raw = String(decoding: try Data(contentsOf: inputURL), as: UTF8.self)
        var lines = String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }

        // Split on the separator exactly as the C++ does (on bytes: a "\r\n" must not become one Character).
        let separator = Array("\n__ggml_vocab_test__\n".utf8)
        let bytes = Array(raw.utf8)
        var inputs: [String] = []
        var start = 0
        var index = 0
        while start < bytes.count {
            if index + separator.count > bytes.count {
                inputs.append(String(decoding: bytes[start...], as: UTF8.self))
                break
            }
            if bytes[index..<(index + separator.count)].elementsEqual(separator) {
                inputs.append(String(decoding: bytes[start..<index], as: UTF8.self))
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        try #require(inputs.count == lines.count, "\(name): \(inputs.count) inputs but \(lines.count) expected-id lines")
        return zip(inputs, lines).map { text, line in
            VocabularyVector(text: text, ids: line.split(separator: " ").compactMap { Int($0) })
        }
    }
}
