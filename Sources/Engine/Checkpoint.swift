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

    /// The language model, its weights kept in `precision`.
    public func languageModel(precision: WeightPrecision = .asStored) throws -> LanguageModel {
        try LanguageModel(config: config.text, weights: layout.text.with(precision: precision),
                          head: layout.lmHead.with(precision: precision))
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
