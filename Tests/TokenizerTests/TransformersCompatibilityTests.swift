// transformers 5 rebuilds LLaMA tokenizers (tokenizer_class "LlamaTokenizer") with a Metaspace
// pre-tokenizer instead of tokenizer.json's Prepend/Replace normalizer; `matchingTransformers` does the same.

import Foundation
import Testing

@testable import Tokenizer

@Suite("transformers 5 compatibility")
struct TransformersCompatibilityTests {
    static let llamaConfig = TokenizerConfig(specialTokens: ["bos_token": "<s>", "eos_token": "</s>"], tokenizerClass: "LlamaTokenizer")

    @Test("LlamaTokenizer: no \"▁\" after an added token, as transformers 5.23 encodes")
    func llamaAfterAddedToken() throws {
        let tokenizer = try Fixtures.tokenizer("llama-spm")
        let transformers = tokenizer.matchingTransformers(Self.llamaConfig)
        // Ids from transformers 5.23 AutoTokenizer (tokenizer_class LlamaTokenizer) and from HF tokenizers
        // on tokenizer.json.
        #expect(transformers.encode("</s>\nWhat is this?") == [1, 2, 13, 5618, 338, 445, 29973])
        #expect(tokenizer.encode("</s>\nWhat is this?") == [1, 2, 29871, 13, 5618, 338, 445, 29973])
        #expect(transformers.encode("USER: <s>\nHi") == [1, 3148, 1001, 29901, 29871, 1, 13, 18567])
        #expect(transformers.encode("Hello") == [1, 15043])
        #expect(transformers.decode([1, 15043, 3186], skipSpecialTokens: true) == "Hello world")
    }

    /// The llama-spm-metaspace fuzz variant is exactly that pipeline (checked against transformers 5.23:
    /// the same ids for all its inputs), so its HF ids are transformers' ids.
    @Test("LlamaTokenizer: every fuzz input encodes as transformers does")
    func llamaFuzz() throws {
        let transformers = try Fixtures.tokenizer("llama-spm").matchingTransformers(Self.llamaConfig)
        for vector in try FuzzVectors.load("llama-spm-metaspace").texts {
            #expect(transformers.encode(vector.text) == vector.idsWithSpecialTokens, "\(String(reflecting: vector.text))")
        }
    }

    @Test("other tokenizer classes keep tokenizer.json's pipeline")
    func otherClasses() throws {
        let tokenizer = try Fixtures.tokenizer("llama-spm")
        for config in [
            TokenizerConfig(tokenizerClass: "PreTrainedTokenizerFast"), TokenizerConfig(),
            TokenizerConfig(tokenizerClass: "GPT2Tokenizer"),
        ] {
            #expect(tokenizer.matchingTransformers(config).encode("</s>\nWhat") == tokenizer.encode("</s>\nWhat"))
        }
        // legacy: true prepends "▁" to every stretch of text, add_prefix_space: false to none.
        let legacy = tokenizer.matchingTransformers(
            TokenizerConfig(tokenizerClass: "LlamaTokenizerFast", legacy: true))
        #expect(legacy.encode("</s>\nWhat", addSpecialTokens: false) == [2, 29871, 13, 5618])
        let noPrefix = tokenizer.matchingTransformers(
            TokenizerConfig(tokenizerClass: "LlamaTokenizer", addPrefixSpace: false))
        #expect(noPrefix.encode("Hello", addSpecialTokens: false) == [10994])
        #expect(noPrefix.decode([15043]) == " Hello")
    }
}
