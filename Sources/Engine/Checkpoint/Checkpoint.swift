import Foundation
import LLM
import Tensor
import ViT

/// A checkpoint directory opened for loading: config.json parsed, tensors mapped, key layout found.
/// Checkpoints of the original LLaVA repository keep their CLIP tower in a checkpoint of its own
/// (`visionTower`: its directory, by default the config's `mm_vision_tower` when that is a path).
public struct Checkpoint {
    public let directory: String
    let config: ModelConfig
    let store: TensorStore
    let layout: CheckpointLayout
    /// The original layout's separate CLIP checkpoint directory.
    let visionTowerDirectory: String?

    public init(directory: String, visionTower: String? = nil) throws {
        try Self.requireDirectory(directory)
        self.directory = directory
        config = try JSONFile.decode(ModelConfig.self, path: directory + "/config.json")
        store = try TensorStore(directory: directory)
        if let original = config.original {
            let tower = visionTower ?? original.visionTower
            guard FileManager.default.fileExists(atPath: tower + "/config.json") else {
                throw EngineError.invalidArgument(
                    "\(directory) is an original LLaVA checkpoint whose vision tower '\(original.visionTower)' is a separate CLIP checkpoint: pass its directory with --vision-tower DIR")
            }
            visionTowerDirectory = tower
            layout = try CheckpointLayout(originalStore: store, visionStore: try TensorStore(directory: tower))
        } else {
            if visionTower != nil {
                throw EngineError.invalidArgument("--vision-tower is for original LLaVA checkpoints; \(directory) has its tower inside")
            }
            visionTowerDirectory = nil
            layout = try CheckpointLayout(store: store, hasVision: config.kind == .llava)
        }
    }

    static func requireDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EngineError.missingDirectory(path)
        }
    }

    public var textConfig: TextConfig { config.text }
    public var isMultimodal: Bool { config.kind != .decoder }

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

    /// The vision side's settings: from config.json for transformers' LLaVA, or assembled from the
    /// `mm_*` fields and the separate tower's own config for the original layout.
    func llavaConfig() throws -> LlavaConfig {
        if let llava = config.llava { return llava }
        guard let original = config.original, let tower = visionTowerDirectory else {
            throw EngineError.unsupportedModel("\(directory) is a language model without a vision tower")
        }
        let vision = try JSONFile.decode(SeparateVisionTowerConfig.self, path: tower + "/config.json").vision
        let mlp = original.projectorType == "mlp2x_gelu"
        return LlavaConfig(vision: vision, imageTokenId: OriginalLlavaSettings.imageTokenIndex,
                           projectorActivation: mlp ? .gelu : .linear, featureLayers: [original.selectLayer],
                           keepClassToken: original.keepClassToken, projectorBias: true,
                           projectorNames: mlp ? ("0", "2") : ("", nil))
    }

    /// Where the image preprocessor's settings are: the checkpoint's own, or the separate tower's.
    var preprocessorConfigPath: String {
        (visionTowerDirectory ?? directory) + "/preprocessor_config.json"
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
