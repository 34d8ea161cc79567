// Every llama.cpp test vector of every fetched vocabulary encodes to the expected ids.

import Foundation
import Testing

@testable import Tokenizer

@Suite("Real vocabularies: llama.cpp test vectors")
struct VocabularyVectorTests {
    @Test("encode matches the expected ids", arguments: Fixtures.vocabularyNames)
    func encodeMatchesExpectedIds(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        let vectors = try VocabularyVector.load(name)
        #expect(vectors.count >= 40)
        var passed = 0
        for vector in vectors {
            let ids = tokenizer.encode(vector.text, addSpecialTokens: false)
            if ids == vector.ids {
                passed += 1
            } else {
                Issue.record("\(name): first mismatch for input \(String(reflecting: vector.text)): expected \(vector.ids), got \(ids)")
                break
            }
        }
        #expect(passed == vectors.count, "\(name): \(passed)/\(vectors.count) vectors pass")
    }
}
