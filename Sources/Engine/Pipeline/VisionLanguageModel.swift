import ChatTemplate
import Foundation
import ImageProcessing
import LLM
import Tensor
import Tokenizer

/// A checkpoint directory loaded for inference: the language model, and for LLaVA checkpoints
/// the image preprocessor, vision tower and projector; with its tokenizer, chat template and
/// end-of-sequence ids.
public final class VisionLanguageModel: @unchecked Sendable {
    public let directory: String
    public let languageModel: LanguageModel
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?
    let specialTokens: [String: String]
    public let imageEncoder: ImageEncoder?
    public let imagePreprocessor: ImagePreprocessor?
    /// Original-layout checkpoints: how `image_aspect_ratio` turns an image into crops.
    let imageAspectRatio: ImageAspectRatio?
    /// The id that marks where each image's embeddings go (LLaVA's `image_token_index`).
    public let imageTokenId: Int?
    public let endOfSequence: Set<Int>
    /// Bytes of all weights as held in memory.
    public let weightBytes: Int
    public let loadMilliseconds: Double

    /// `visionTower`: the CLIP checkpoint directory of an original-LLaVA-layout checkpoint.
    public init(directory: String, precision: WeightPrecision = .asStored, visionTower: String? = nil) throws {
        var elapsed = 0.0
        let checkpoint = try measure(&elapsed) { try Checkpoint(directory: directory, visionTower: visionTower) }
        self.directory = directory
        languageModel = try measure(&elapsed) { try checkpoint.languageModel(precision: precision) }
        weightBytes = checkpoint.store.loadedBytes(precision)

        if checkpoint.isMultimodal, let vision = checkpoint.layout.vision, let projector = checkpoint.layout.projector {
            let llava = try checkpoint.llavaConfig()
            imageEncoder = try measure(&elapsed) {
                try ImageEncoder(config: llava, vision: vision.with(precision: precision),
                                 projector: projector.with(precision: precision), textWidth: checkpoint.textConfig.hiddenSize)
            }
            imageTokenId = llava.imageTokenId
            let preprocessorPath = checkpoint.preprocessorConfigPath
            // Original-layout checkpoints choose padding or AnyRes crops by image_aspect_ratio.
            let original = checkpoint.config.original
            let processorConfig = try ImageProcessorConfig.decode(JSONFile.data(preprocessorPath), name: preprocessorPath)
            imagePreprocessor = try ImagePreprocessor(config: processorConfig, padToSquare: original == nil ? nil : false)
            imageAspectRatio = try original.map { settings in
                let pinpoints = try settings.gridPinpointsText.map {
                    try AnyResCrops.gridPinpoints(parsing: $0, patchSize: processorConfig.cropSize?.height ?? llava.vision.imageSize)
                } ?? settings.gridPinpoints
                return try ImageAspectRatio(configValue: settings.imageAspectRatio, gridPinpoints: pinpoints)
            }
        } else {
            imageEncoder = nil
            imageTokenId = nil
            imagePreprocessor = nil
            imageAspectRatio = nil
        }

        let text = try measure(&elapsed) { try TokenizerFiles(directory: directory) }
        tokenizer = text.tokenizer
        specialTokens = text.specialTokens
        if let source = text.chatTemplateSource {
            chatTemplate = try ChatTemplate(source)
        } else if checkpoint.config.original != nil {
            chatTemplate = try ChatTemplate(OriginalLlavaSettings.vicunaTemplate)
        } else {
            chatTemplate = nil
        }
        endOfSequence = try checkpoint.endOfSequence()
        loadMilliseconds = elapsed
    }

    public var isMultimodal: Bool { imageEncoder != nil }

    /// A checkpoint's tokenizer as transformers builds it: tokenizer.json, adjusted by
    /// tokenizer_config.json for the classes transformers 5 rebuilds (LlamaTokenizerFast).
    public static func loadTokenizer(directory: String) throws -> Tokenizer {
        try Checkpoint.requireDirectory(directory)
        return try TokenizerFiles.tokenizer(directory: directory, config: TokenizerFiles.tokenizerConfig(directory: directory))
    }
}
