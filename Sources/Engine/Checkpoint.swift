import Foundation
import LLM
import Tensor

/// A checkpoint directory opened for loading: config.json parsed, tensors mapped, key layout found.
public struct Checkpoint {
    public let directory: String
    let config: ModelConfig
    let store: TensorStore
    let layout: CheckpointLayout

    public init(directory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EngineError.missingDirectory(directory)
        }
        self.directory = directory
        config = try ModelConfig(path: directory + "/config.json")
        store = try TensorStore(directory: directory)
        layout = try CheckpointLayout(store: store, hasVision: config.kind == .llava)
    }

    public var textConfig: TextConfig { config.text }
    public var isMultimodal: Bool { config.kind == .llava }

    /// The language model, its weights kept in `precision`, with ProxyV's modules when the
    /// config declares them (`vision_mlp_layers.*` and `image_newline` beside the decoder's
    /// tensors or at the LLaVA model level).
    public func languageModel(precision: WeightPrecision = .asStored) throws -> LanguageModel {
        var proxyV: ProxyVModules?
        if let settings = config.proxyV {
            let candidates = [layout.text.prefix, "model.", ""]
            guard let prefix = candidates.first(where: { store.contains($0 + "image_newline") }) else {
                throw CheckpointError.missingTensor(key: candidates.map { $0 + "image_newline" }.joined(separator: "' or '"),
                                                    in: directory + " (config.json declares proxyv)")
            }
            proxyV = try ProxyVModules(config: config.text, weights: WeightSource(store: store, prefix: prefix, precision: precision),
                                       startLayer: settings.startLayer, reduceFactor: settings.reduceFactor,
                                       tokensPerCrop: settings.tokensPerCrop, learnProxy: settings.learnProxy)
        }
        return try LanguageModel(config: config.text, weights: layout.text.with(precision: precision),
                                 head: layout.lmHead.with(precision: precision), proxyV: proxyV)
    }

    /// End-of-sequence ids from generation_config.json and config.json.
    public func endOfSequence() throws -> Set<Int> {
        var generation = GenerationConfig()
        let path = directory + "/generation_config.json"
        if FileManager.default.fileExists(atPath: path) {
            generation = try JSONFile.decode(GenerationConfig.self, path: path)
        }
        return Set(generation.eosTokenIds + config.text.eosTokenIds)
    }
}

extension WeightSource {
    func with(precision: WeightPrecision) -> WeightSource {
        WeightSource(store: store, prefix: prefix, precision: precision)
    }
}
