// tokenizer_config.json helpers.

import Foundation
import Testing

@testable import Tokenizer

@Suite("tokenizer_config.json")
struct TokenizerConfigTests {
    @Test("a converted config (phi-3)")
    func converted() throws {
        let config = try TokenizerConfig(contentsOf: Fixtures.vocabularyDirectory("phi-3"))
        #expect(config.bosToken == "<s>")
        #expect(config.eosToken == "<|endoftext|>")
        #expect(config.unknownToken == "<unk>")
        #expect(config.addBosToken == true)
        #expect(config.addEosToken == false)
        #expect(config.chatTemplate?.contains("<|assistant|>") == true)
        #expect(config.tokenizerClass == "PreTrainedTokenizerFast")
        let tokenizer = try Fixtures.tokenizer("phi-3")
        #expect(config.eosToken.flatMap(tokenizer.id(forToken:)) == 32000)
        #expect(config.bosToken.flatMap(tokenizer.id(forToken:)) == 1)
    }

    @Test("older forms: AddedToken objects and a list of named templates")
    func olderForms() throws {
        let json = """
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
             "eos_token": "</s>", "add_bos_token": true,
             "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
            """
        let config = try TokenizerConfig(jsonData: Data(json.utf8))
        #expect(config == TokenizerConfig(bosToken: "<s>", eosToken: "</s>", addBosToken: true, chatTemplate: "D"))
    }

    @Test("errors name the file")
    func errors() throws {
        #expect(throws: TokenizerError(kind: .invalidConfiguration, file: "c.json", message: "expected a JSON object, found an array")) {
            try TokenizerConfig(jsonData: Data("[]".utf8), name: "c.json")
        }
        do {
            _ = try TokenizerConfig(jsonData: Data("{".utf8), name: "c.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .invalidJSON)
            #expect(error.description.hasPrefix("c.json: invalid JSON"))
        }
    }
}
