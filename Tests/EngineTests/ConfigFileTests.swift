@testable import Engine
import Foundation
import ImageProcessing
import LLM
import Tensor
import Testing
import TestSupport
import Tokenizer
import ViT

/// config.json, tokenizer_config.json, preprocessor_config.json and the chat template files, each
/// decoded once into typed settings: a field of the wrong type is an error naming the file, the
/// field and the type; an omitted field takes transformers' default.
struct ConfigFileTests {
    static let file = "weights/x/config.json"

    static func modelConfig(_ json: String) throws -> ModelConfig {
        try JSONFile.decode(ModelConfig.self, from: Data(json.utf8), file: file)
    }

    /// The one-line error decoding `json` as config.json gives, or nil when it decodes.
    static func modelConfigError(_ json: String) -> String? {
        do {
            _ = try modelConfig(json)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("a field of the wrong type in config.json names the file, the field and the type", arguments: [
        (#"{"model_type": "llava", "text_config": {"hidden_size": "64"}}"#, "field 'text_config.hidden_size': expected Int"),
        (#"{"model_type": "llava", "text_config": {"hidden_size": 64.5}}"#, "field 'text_config.hidden_size': expected Int"),
        (#"{"model_type": "llava", "text_config": {"rms_norm_eps": "small"}}"#, "field 'text_config.rms_norm_eps': expected Float"),
        (#"{"model_type": "llava", "text_config": {"eos_token_id": [2, "x"]}}"#, "field 'text_config.eos_token_id.1': expected Int"),
        (#"{"model_type": "llava", "text_config": "llama"}"#, "field 'text_config': expected an object"),
        (#"{"model_type": "llava", "vision_config": {"patch_size": true}}"#, "field 'vision_config.patch_size': expected Int"),
        (#"{"model_type": "llava", "vision_config": {"layer_norm_eps": [1]}}"#, "field 'vision_config.layer_norm_eps': expected Float"),
        (#"{"model_type": "llava", "image_token_index": "32000"}"#, "field 'image_token_index': expected Int"),
        (#"{"model_type": "llava", "vision_feature_layer": "-2"}"#, "field 'vision_feature_layer': expected Int"),
        (#"{"model_type": "llava", "multimodal_projector_bias": 1}"#, "field 'multimodal_projector_bias': expected Bool"),
        (#"{"model_type": "llava", "tie_word_embeddings": "no"}"#, "field 'tie_word_embeddings': expected Bool"),
        (#"{"model_type": "llama", "num_hidden_layers": null, "head_dim": "8"}"#, "field 'head_dim': expected Int"),
        (#"{"model_type": "llama", "proxyv": "true"}"#, "field 'proxyv': expected Bool"),
        (#"{"model_type": "llama", "proxyv": true, "proxyv_reduce_factor": 4.5}"#, "field 'proxyv_reduce_factor': expected Int"),
        (#"{"model_type": "llava", "text_config": {"proxyv": true, "learn_proxy": "yes"}}"#, "field 'text_config.learn_proxy': expected Bool"),
        (#"{"model_type": "llava_llama", "mm_vision_tower": "clip", "mm_vision_select_layer": "-2"}"#, "field 'mm_vision_select_layer': expected Int"),
        (#"{"model_type": "llava_llama", "mm_vision_tower": 7}"#, "field 'mm_vision_tower': expected String"),
        (#"{"model_type": "llava_llama", "mm_vision_tower": "clip", "image_grid_pinpoints": [[336, "672"]]}"#, "field 'image_grid_pinpoints.0.1': expected Int"),
        (#"{"model_type": 3}"#, "field 'model_type': expected String"),
        (#"{"model_type": "llama", "architectures": "LlamaForCausalLM"}"#, "field 'architectures': expected a list"),
    ])
    func wrongTypeInConfig(_ json: String, _ expected: String) {
        #expect(Self.modelConfigError(json) == "\(Self.file): \(expected)")
    }

    @Test("invalid JSON says so; a valid file never does")
    func invalidJSON() {
        #expect(Self.modelConfigError(#"{"model_type": "llama""#) == "\(Self.file): not valid JSON")
        #expect(Self.modelConfigError("[1]") == "\(Self.file): expected an object")
        #expect(Self.modelConfigError(#"{"model_type": "gpt2"}"#)
            == "\(Self.file): field 'model_type': 'gpt2' is not supported (llama, qwen2, mistral, llava)")
        #expect(Self.modelConfigError(#"{"model_type": "llava_llama", "mm_vision_tower": "clip", "mm_projector_type": "resampler"}"#)
            == "\(Self.file): field 'mm_projector_type': 'resampler' is not supported (linear, mlp2x_gelu)")
        // A fraction where JSONDecoder itself reads an Int: it names no field, but the JSON is valid.
        do {
            _ = try JSONFile.decode([[Int]].self, from: Data("[[1.5]]".utf8), file: Self.file)
            Issue.record("[[1.5]] decoded as [[Int]]")
        } catch {
            #expect("\(error)" == "\(Self.file): a number does not fit its field (a fraction, or too large, where an integer is expected)")
        }
    }

    /// transformers/models/llama/configuration_llama.py (LlamaConfig), which LlavaConfig builds
    /// text_config from when it is absent (models/llava/configuration_llava.py), and LlavaConfig's
    /// own defaults, including its CLIP ViT-L/14-336 vision_config when that is absent.
    @Test("an omitted field takes transformers' default: LLaVA, LLaMA, its CLIP tower")
    func llavaDefaults() throws {
        let config = try Self.modelConfig(#"{"model_type": "llava"}"#)
        #expect(config.kind == .llava)
        let text = config.text
        #expect(text.family == .llama)
        #expect(text.vocabSize == 32000 && text.hiddenSize == 4096 && text.intermediateSize == 11008)
        #expect(text.layerCount == 32 && text.headCount == 32 && text.kvHeadCount == 32 && text.headDim == 128)
        #expect(text.hiddenAct == .silu && text.maxPositions == 2048 && text.rmsNormEps == 1e-6 && text.ropeTheta == 10000)
        #expect(!text.qkvBias && !text.outputBias && !text.mlpBias && !text.tieWordEmbeddings)
        #expect(text.bosTokenId == 1 && text.eosTokenIds == [2])
        let llava = try #require(config.llava)
        #expect(llava.imageTokenId == 32000 && llava.projectorActivation == .gelu && llava.projectorBias)
        #expect(!llava.keepClassToken)
        let vision = llava.vision
        #expect(vision.family == .clip && vision.hiddenSize == 1024 && vision.intermediateSize == 4096)
        #expect(vision.layerCount == 24 && vision.headCount == 16 && vision.imageSize == 336 && vision.patchSize == 14)
        #expect(vision.hiddenAct == .quickGelu && vision.layerNormEps == 1e-5 && vision.channels == 3)
        #expect(llava.featureLayers == [23], "vision_feature_layer -2 of 25 hidden states")
        #expect(config.proxyV == nil && config.original == nil)
    }

    /// transformers/models/qwen2/configuration_qwen2.py (Qwen2Config): num_key_value_heads 32, no bos/eos.
    @Test("an omitted field takes transformers' default: Qwen2")
    func qwen2Defaults() throws {
        let text = try Self.modelConfig(#"{"model_type": "qwen2"}"#).text
        #expect(text.family == .qwen2)
        #expect(text.vocabSize == 151936 && text.hiddenSize == 4096 && text.intermediateSize == 22016)
        #expect(text.layerCount == 32 && text.headCount == 32 && text.kvHeadCount == 32)
        #expect(text.maxPositions == 32768 && text.rmsNormEps == 1e-6 && text.ropeTheta == 10000)
        #expect(text.qkvBias && !text.outputBias && !text.tieWordEmbeddings)
        #expect(text.bosTokenId == nil && text.eosTokenIds == [])
        let explicitNull = try Self.modelConfig(#"{"model_type": "llama", "eos_token_id": null, "bos_token_id": null}"#).text
        #expect(explicitNull.eosTokenIds == [] && explicitNull.bosTokenId == nil, "null is None, not the default")
    }

    /// transformers/models/clip/configuration_clip.py (CLIPVisionConfig) and
    /// models/siglip/configuration_siglip.py (SiglipVisionConfig).
    @Test("an omitted field takes transformers' default: CLIP and SigLIP towers")
    func visionDefaults() throws {
        let clip = try #require(Self.modelConfig(#"{"model_type": "llava", "vision_config": {}}"#).llava).vision
        #expect(clip.family == .clip && clip.hiddenSize == 768 && clip.intermediateSize == 3072)
        #expect(clip.layerCount == 12 && clip.headCount == 12 && clip.imageSize == 224 && clip.patchSize == 32)
        #expect(clip.hiddenAct == .quickGelu && clip.layerNormEps == 1e-5)
        let siglip = try #require(Self.modelConfig(#"{"model_type": "llava", "vision_config": {"model_type": "siglip_vision_model"}}"#).llava).vision
        #expect(siglip.family == .siglip && siglip.hiddenSize == 768 && siglip.intermediateSize == 3072)
        #expect(siglip.layerCount == 12 && siglip.headCount == 12 && siglip.imageSize == 224 && siglip.patchSize == 16)
        #expect(siglip.hiddenAct == .geluPytorchTanh && siglip.layerNormEps == 1e-6)
    }

    @Test("tie_word_embeddings at the top level of a LLaVA config is text_config's default")
    func tieWordEmbeddingsFallback() throws {
        #expect(try Self.modelConfig(#"{"model_type": "llava", "tie_word_embeddings": true}"#).text.tieWordEmbeddings)
        #expect(try Self.modelConfig(#"{"model_type": "llava", "tie_word_embeddings": true, "text_config": {}}"#).text.tieWordEmbeddings)
        #expect(try !Self.modelConfig(#"{"model_type": "llava", "tie_word_embeddings": true, "text_config": {"tie_word_embeddings": false}}"#)
            .text.tieWordEmbeddings)
    }

    /// The original LLaVA repository (llava/model/llava_arch.py, multimodal_encoder/clip_encoder.py)
    /// and ProxyV's train.py.
    @Test("the original layout: decoder fields at the top level, mm_* defaults; ProxyV defaults")
    func originalLayoutAndProxyVDefaults() throws {
        let qwen = try Self.modelConfig(#"{"model_type": "llava_qwen2", "mm_vision_tower": "openai/clip", "num_key_value_heads": 4}"#)
        #expect(qwen.kind == .originalLlava && qwen.text.family == .qwen2 && qwen.text.kvHeadCount == 4)
        let original = try #require(qwen.original)
        #expect(original.visionTower == "openai/clip" && original.selectLayer == -2 && !original.keepClassToken)
        #expect(original.projectorType == "linear" && original.imageAspectRatio == nil && original.gridPinpoints == [])
        let llama = try Self.modelConfig(#"{"model_type": "llava_llama", "mm_projector_type": "mlp2x_gelu", "image_grid_pinpoints": "(1x1),(2x2)"}"#)
        #expect(llama.text.family == .llama && llama.original?.gridPinpointsText == "(1x1),(2x2)")

        let proxyV = try #require(Self.modelConfig(#"{"model_type": "llama", "proxyv": true}"#).proxyV)
        #expect(proxyV.startLayer == 0 && proxyV.reduceFactor == 4 && proxyV.tokensPerCrop == 576 && !proxyV.learnProxy)
        let nested = try Self.modelConfig(#"{"model_type": "llava", "text_config": {"proxyv": true, "proxyv_start_layer": 2}}"#)
        #expect(nested.proxyV?.startLayer == 2)
        #expect(try Self.modelConfig(#"{"model_type": "llama", "proxyv": false}"#).proxyV == nil)
    }

    // MARK: - The tokenizer and preprocessor configs and the chat template, through a checkpoint directory

    static let tiny = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures/tiny-llava-clip-llama").path

    /// A directory with the tiny checkpoint's tokenizer.json and the given files.
    static func textDirectory(_ files: [String: String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-text-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tiny + "/tokenizer.json", toPath: directory + "/tokenizer.json")
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory
    }

    static func textFilesError(_ files: [String: String]) throws -> String? {
        let directory = try textDirectory(files)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try TokenizerFiles(directory: directory)
            return nil
        } catch {
            return "\(error)".replacingOccurrences(of: directory + "/", with: "")
        }
    }

    @Test("a field of the wrong type in tokenizer_config.json names the file, the field and the type")
    func wrongTypeInTokenizerConfig() throws {
        #expect(try Self.textFilesError(["tokenizer_config.json": #"{"add_bos_token": "true"}"#])
            == "tokenizer_config.json: field 'add_bos_token': expected Bool")
        #expect(try Self.textFilesError(["tokenizer_config.json": #"{"legacy": 0}"#])
            == "tokenizer_config.json: field 'legacy': expected Bool")
        #expect(try Self.textFilesError(["tokenizer_config.json": #"{"bos_token": ["<s>"]}"#])
            == "tokenizer_config.json: field 'bos_token': expected a string or an AddedToken object")
        #expect(try Self.textFilesError(["tokenizer_config.json": "{"]) == "tokenizer_config.json: not valid JSON")
        #expect(try Self.textFilesError(["chat_template.json": #"{"chat_template": false}"#])
            == #"chat_template.json: field 'chat_template': expected a string or a list of {"name", "template"} objects"#)
    }

    @Test("special tokens, adjustments and the chat template come from one read of tokenizer_config.json")
    func tokenizerConfigParts() throws {
        let config = #"{"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>", "pad_token": null, "image_token": "<image>", "tokenizer_class": "LlamaTokenizer", "chat_template": "{{ bos_token }}{{ messages[0]['content'] }}"}"#
        let directory = try Self.textDirectory(["tokenizer_config.json": config])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try TokenizerFiles(directory: directory)
        #expect(files.specialTokens == ["bos_token": "<s>", "eos_token": "</s>", "image_token": "<image>"])
        #expect(files.chatTemplateSource == "{{ bos_token }}{{ messages[0]['content'] }}")
        // tokenizer_class LlamaTokenizer: rebuilt as transformers 5 does (no "▁" before "\n" after an added token).
        let rebuilt = try Tokenizer(contentsOf: URL(fileURLWithPath: directory + "/tokenizer.json"))
            .matchingTransformers(TokenizerConfig(tokenizerClass: "LlamaTokenizer"))
        let plain = try Tokenizer(contentsOf: URL(fileURLWithPath: directory + "/tokenizer.json"))
        #expect(rebuilt.encode("</s>\nWhat is it?") != plain.encode("</s>\nWhat is it?"), "the class changes these ids")
        #expect(files.tokenizer.encode("</s>\nWhat is it?") == rebuilt.encode("</s>\nWhat is it?"))
    }

    @Test("chat template: chat_template.jinja, then chat_template.json, then tokenizer_config.json; a string or the named 'default'")
    func chatTemplatePrecedenceAndForms() throws {
        func source(_ files: [String: String]) throws -> String? {
            let directory = try Self.textDirectory(files)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            return try TokenizerFiles(directory: directory).chatTemplateSource
        }
        let named = #"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}"#
        #expect(try source([:]) == nil)
        #expect(try source(["tokenizer_config.json": #"{"chat_template": "S"}"#]) == "S")
        #expect(try source(["tokenizer_config.json": named]) == "D")
        #expect(try source(["tokenizer_config.json": #"{"chat_template": "S"}"#, "chat_template.json": named]) == "D")
        #expect(try source(["tokenizer_config.json": #"{"chat_template": "S"}"#, "chat_template.json": "{}"]) == "S")
        #expect(try source(["chat_template.json": #"{"chat_template": "P"}"#, "chat_template.jinja": "J"]) == "J")
        // transformers raises when named templates have no "default" and none is asked for.
        #expect(try Self.textFilesError(["tokenizer_config.json": #"{"chat_template": [{"name": "rag", "template": "R"}, {"name": "tool_use", "template": "T"}]}"#])
            == "tokenizer_config.json: field 'chat_template': no template is named 'default' (names: rag, tool_use)")
    }

    @Test("a field of the wrong type in preprocessor_config.json names the file, the field and the type")
    func wrongTypeInPreprocessorConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-config-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Self.tiny, toPath: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/preprocessor_config.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        json["do_center_crop"] = "yes"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try VisionLanguageModel(directory: directory)
        } throws: { error in
            "\(error)" == "\(path): field 'do_center_crop': expected Bool"
        }
    }
}
