// tokenizer_config.json, typed.

import ConfigDecoding
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
        #expect(config.chatTemplate?.defaultTemplate?.contains("<|assistant|>") == true)
        #expect(config.tokenizerClass == "PreTrainedTokenizerFast")
        let tokenizer = try Fixtures.tokenizer("phi-3")
        #expect(config.eosToken.flatMap(tokenizer.id(forToken:)) == 32000)
        #expect(config.bosToken.flatMap(tokenizer.id(forToken:)) == 1)
    }

    @Test("older forms: AddedToken objects and a list of named templates")
    func olderForms() throws {
        let json = """
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
             "eos_token": "</s>", "pad_token": null, "add_bos_token": true,
             "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
            """
        let config = try TokenizerConfig(jsonData: Data(json.utf8))
        #expect(config == TokenizerConfig(specialTokens: ["bos_token": "<s>", "eos_token": "</s>"], addBosToken: true,
                                          chatTemplate: .named(["tool_use": "T", "default": "D"])))
        #expect(config.chatTemplate?.defaultTemplate == "D")
    }

    /// transformers turns the list into a dict (a later entry of the same name wins) and, given no
    /// name, uses "default" or raises (tokenization_utils_base.py: `__init__`, `get_chat_template`).
    @Test("chat_template: a string, or named templates of which 'default' is used")
    func chatTemplateForms() throws {
        func field(_ json: String) throws -> ChatTemplateField? {
            try TokenizerConfig(jsonData: Data(#"{"chat_template": \#(json)}"#.utf8)).chatTemplate
        }
        #expect(try field(#""{{ x }}""#) == .single("{{ x }}"))
        #expect(try field(#""{{ x }}""#)?.defaultTemplate == "{{ x }}")
        let repeated = try field(#"[{"name": "default", "template": "A"}, {"name": "default", "template": "B"}]"#)
        #expect(repeated?.defaultTemplate == "B")
        let noDefault = try field(#"[{"name": "rag", "template": "R"}, {"name": "tool_use", "template": "T"}]"#)
        #expect(noDefault?.defaultTemplate == nil)
        #expect(noDefault?.names == ["rag", "tool_use"])
        #expect(try field("null") == nil)
    }

    @Test("a field of the wrong type is an error naming the file, the field and the type", arguments: [
        (#"{"add_bos_token": "yes"}"#, "field 'add_bos_token': expected Bool"),
        (#"{"tokenizer_class": 3}"#, "field 'tokenizer_class': expected String"),
        (#"{"eos_token": 2}"#, "field 'eos_token': expected a string or an AddedToken object"),
        (#"{"bos_token": {"content": 1}}"#, "field 'bos_token.content': expected String"),
        (#"{"chat_template": 7}"#, #"field 'chat_template': expected a string or a list of {"name", "template"} objects"#),
        (#"{"chat_template": [{"name": "default"}]}"#, "field 'chat_template.0.template': missing"),
        (#"{"chat_template": [{"name": "default", "template": 1}]}"#, "field 'chat_template.0.template': expected String"),
    ])
    func wrongTypes(_ json: String, _ expected: String) throws {
        #expect(throws: TokenizerError(kind: .invalidConfiguration, file: "/m/tokenizer_config.json", message: expected)) {
            try TokenizerConfig(jsonData: Data(json.utf8), name: "/m/tokenizer_config.json")
        }
    }

    @Test("errors name the file")
    func errors() throws {
        #expect(throws: TokenizerError(kind: .invalidConfiguration, file: "c.json", message: "expected an object")) {
            try TokenizerConfig(jsonData: Data("[]".utf8), name: "c.json")
        }
        #expect(throws: TokenizerError(kind: .invalidJSON, file: "c.json", message: "not valid JSON")) {
            try TokenizerConfig(jsonData: Data("{".utf8), name: "c.json")
        }
    }
}
