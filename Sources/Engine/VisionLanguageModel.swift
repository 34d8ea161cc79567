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
    /// The id that marks where each image's embeddings go (LLaVA's `image_token_index`).
    public let imageTokenId: Int?
    public let endOfSequence: Set<Int>
    /// Bytes of all weights as held in memory.
    public let weightBytes: Int
    public let loadMilliseconds: Double

    public init(directory: String, precision: WeightPrecision = .asStored) throws {
        var elapsed = 0.0
        let checkpoint = try measure(&elapsed) { try Checkpoint(directory: directory) }
        self.directory = directory
        languageModel = try measure(&elapsed) { try checkpoint.languageModel(precision: precision) }
        weightBytes = checkpoint.store.loadedBytes(precision)

        if checkpoint.isMultimodal, let vision = checkpoint.layout.vision, let projector = checkpoint.layout.projector {
            let llava = try JSONFile.decode(LlavaConfig.self, path: directory + "/config.json")
            imageEncoder = try measure(&elapsed) {
                try ImageEncoder(config: llava, vision: vision.with(precision: precision),
                                 projector: projector.with(precision: precision), textWidth: checkpoint.textConfig.hiddenSize)
            }
            imageTokenId = llava.imageTokenId
            let preprocessorPath = directory + "/preprocessor_config.json"
            guard FileManager.default.fileExists(atPath: preprocessorPath) else { throw EngineError.missingFile(preprocessorPath) }
            imagePreprocessor = try ImagePreprocessor(config: ImageProcessorConfig.load(contentsOf: URL(fileURLWithPath: preprocessorPath)))
        } else {
            imageEncoder = nil
            imageTokenId = nil
            imagePreprocessor = nil
        }

        let tokenizerConfigPath = directory + "/tokenizer_config.json"
        tokenizer = try measure(&elapsed) { try Self.loadTokenizer(directory: directory) }
        specialTokens = FileManager.default.fileExists(atPath: tokenizerConfigPath)
            ? try ChatTemplate.specialTokens(fromTokenizerConfig: String(contentsOfFile: tokenizerConfigPath, encoding: .utf8))
            : [:]
        if let source = try ChatTemplate.source(inCheckpoint: URL(fileURLWithPath: directory)) {
            chatTemplate = try ChatTemplate(source)
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
        let path = directory + "/tokenizer.json", configPath = directory + "/tokenizer_config.json"
        guard FileManager.default.fileExists(atPath: path) else { throw EngineError.missingFile(path) }
        let tokenizer = try Tokenizer(contentsOf: URL(fileURLWithPath: path))
        guard FileManager.default.fileExists(atPath: configPath) else { return tokenizer }
        return tokenizer.matchingTransformers(try TokenizerConfig(contentsOf: URL(fileURLWithPath: configPath)))
    }
}
