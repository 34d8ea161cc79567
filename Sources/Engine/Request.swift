import ChatTemplate
import Foundation
import ImageProcessing
import Tensor
import Tokenizer

/// What the user asks: a prompt (a single user turn rendered with the chat template, or text
/// used verbatim) and the images it refers to, in order.
public struct Request: Sendable {
    public enum Prompt: Sendable {
        /// One user turn: the images (in order), then this text.
        case chat(String)
        /// A whole conversation, rendered with the chat template.
        case messages([ChatMessage])
        /// Text used verbatim; `<image>` (the checkpoint's image token) marks each image.
        case raw(String)

        var isRaw: Bool {
            if case .raw = self { return true }
            return false
        }
    }

    public var prompt: Prompt
    public var images: [String]
    public var maxNewTokens: Int
    public var sampling: SamplingParameters
    public var reduction: VisualTokenReduction
    /// Run ProxyV layers when the checkpoint has them (off: every layer plain, for comparison).
    public var proxyV: Bool
    /// Stop at an end-of-sequence token (benchmarks turn this off to decode a fixed count).
    public var stopAtEndOfSequence: Bool

    public init(prompt: Prompt, images: [String] = [], maxNewTokens: Int = 256, sampling: SamplingParameters = .init(),
                reduction: VisualTokenReduction = .none, proxyV: Bool = true, stopAtEndOfSequence: Bool = true) {
        self.stopAtEndOfSequence = stopAtEndOfSequence
        self.prompt = prompt
        self.images = images
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.reduction = reduction
        self.proxyV = proxyV
    }
}

/// What came back: the answer, its ids, and where the time went.
public struct Response: Sendable, Encodable {
    public var text: String
    public var tokens: [Int]
    public var promptTokens: Int
    public var visualTokens: Int
    /// Per image, the vision tokens after each tower block that ran (DyMU), class token included.
    public var visionTokensPerLayer: [[Int]]?
    /// The LLM sequence length attention sees (larger than prompt_tokens with VTU).
    public var virtualPromptTokens: Int?
    public var proxyV: ProxyVReport?
    public var stopReason: StopReason
    public var timings: Timings

    enum CodingKeys: String, CodingKey {
        case text, tokens, promptTokens = "prompt_tokens", visualTokens = "visual_tokens"
        case visionTokensPerLayer = "vision_tokens_per_layer", virtualPromptTokens = "virtual_prompt_tokens"
        case proxyV = "proxyv", stopReason = "stop_reason", timings
    }
}

extension VisionLanguageModel {
    /// The prompt text for a request: the chat template applied to one user turn (images first,
    /// as LLaVA processors' examples place them), or the raw text.
    public func promptText(_ request: Request) throws -> String {
        switch request.prompt {
        case let .raw(text):
            return text
        case let .chat(question):
            let content: ChatMessage.Content = isMultimodal
                ? .parts(Array(repeating: .image, count: request.images.count) + [.text(question)])
                : .text(question)
            return try render([ChatMessage(role: "user", content: content)])
        case let .messages(messages):
            return try render(messages)
        }
    }

    private func render(_ messages: [ChatMessage]) throws -> String {
        guard let chatTemplate else {
            throw EngineError.invalidArgument("\(directory) has no chat template; pass --raw and write the prompt yourself")
        }
        return try chatTemplate.render(messages: messages, addGenerationPrompt: true, specialTokens: specialTokens)
    }

    /// Token ids of the prompt. Special tokens (BOS) are added as transformers' tokenizer call does,
    /// unless a rendered chat template already starts with the BOS token. Original-LLaVA checkpoints
    /// have no image token in their vocabulary: as `tokenizer_image_token` does, the text is split
    /// at each `<image>`, the pieces tokenized on their own (BOS kept only on the first), and the
    /// sentinel id put between them.
    public func promptIds(_ text: String, request: Request) -> [Int] {
        let startsWithBOS = specialTokens["bos_token"].map { !$0.isEmpty && text.hasPrefix($0) } ?? false
        let addSpecialTokens = request.prompt.isRaw || !startsWithBOS
        guard let imageTokenId, imageTokenId < 0 else { return tokenizer.encode(text, addSpecialTokens: addSpecialTokens) }
        let chunks = text.components(separatedBy: "<image>").map { tokenizer.encode($0, addSpecialTokens: addSpecialTokens) }
        let bos = chunks.first?.first.flatMap { first in tokenizer.isSpecialToken(first) && addSpecialTokens ? first : nil }
        var ids = chunks[0]
        for chunk in chunks.dropFirst() {
            ids.append(imageTokenId)
            ids += bos != nil && chunk.first == bos ? Array(chunk.dropFirst()) : chunk
        }
        return ids
    }

    /// Runs a request, passing each newly decoded piece of text to `onText` as it is generated.
    public func run(_ request: Request, onText: (String) -> Void = { _ in }) throws -> Response {
        try request.sampling.validate()
        guard request.maxNewTokens > 0 else { throw EngineError.invalidArgument("--max-tokens must be at least 1") }
        if !request.images.isEmpty && !isMultimodal {
            throw EngineError.invalidArgument("\(directory) is a text-only model; it cannot take images")
        }
        var timings = Timings()
        timings.load = loadMilliseconds
        let text = try promptText(request)
        let ids = promptIds(text, request: request)
        let prepared = try prepareInput(ids: ids, request: request, timings: &timings)

        let generator = Generator(model: languageModel, endOfSequence: request.stopAtEndOfSequence ? endOfSequence : [])
        var stream = StreamingDecoder(tokenizer: tokenizer)
        let (tokens, stop) = try generator.generate(prepared.input, maxNewTokens: request.maxNewTokens, sampling: request.sampling,
                                                    timings: &timings) { id in
            let piece = stream.append(id)
            if !piece.isEmpty { onText(piece) }
            return true
        }
        let rest = stream.finish()
        if !rest.isEmpty { onText(rest) }
        let input = prepared.input
        return Response(
            text: tokenizer.decode(tokens, skipSpecialTokens: true), tokens: tokens,
            promptTokens: input.rows, visualTokens: prepared.visualTokens,
            visionTokensPerLayer: prepared.tokensPerLayer.contains { !$0.isEmpty } ? prepared.tokensPerLayer : nil,
            virtualPromptTokens: input.virtualRows.map(\.count),
            proxyV: input.imageCrops.isEmpty ? nil : ProxyVReport(model: languageModel, input: input),
            stopReason: stop, timings: timings)
    }

    /// The LLM input of a request and what the images contributed to it.
    struct PreparedRequest {
        let input: PreparedInput
        let visualTokens: Int
        let tokensPerLayer: [[Int]]
    }

    /// Embeds the prompt ids and splices each image's projected features in place of its image
    /// token. With DyMU+VTU the sequence gets virtual rows (each image spans its unmerged
    /// positions); with ProxyV each image crop is followed by the checkpoint's newline embedding.
    /// An image is one crop, or with AnyRes (original-layout checkpoints) the base image and its crops.
    func prepareInput(ids: [Int], request: Request, timings: inout Timings) throws -> PreparedRequest {
        let markers = imageTokenId.map { token in ids.indices.filter { ids[$0] == token } } ?? []
        guard markers.count == request.images.count else {
            throw EngineError.invalidArgument(
                "the prompt has \(markers.count) image token(s) but \(request.images.count) image(s) were given")
        }
        let proxyV = request.proxyV ? languageModel.proxyV : nil
        typealias Crop = (embeddings: Matrix, virtualRows: [Int32]?, tokensPerLayer: [Int])
        var images: [[Crop]] = []
        for path in request.images {
            var crops: [Crop] = []
            for encoded in try encodeImage(path, reduction: request.reduction, timings: &timings) {
                let projected = measure(&timings.projector) { imageEncoder!.project(encoded.features) }
                if let proxyV, projected.rows != proxyV.tokensPerCrop {
                    throw EngineError.unsupportedModel(
                        "ProxyV needs \(proxyV.tokensPerCrop) visual tokens per crop but the image gave \(projected.rows); use it without token reduction")
                }
                crops.append((projected, encoded.virtualRows, encoded.tokensPerLayer))
            }
            if crops.count > 1 && proxyV == nil {
                throw EngineError.unsupportedModel(
                    "\(directory): AnyRes crops without ProxyV need LLaVA-NeXT's spatial_unpad packing, which is not supported")
            }
            images.append(crops)
        }
        var virtualUnmerging = false
        if case let .dymu(_, vtu) = request.reduction { virtualUnmerging = vtu }

        let allCrops = images.flatMap { $0 }
        let visualTokens = allCrops.reduce(0) { $0 + $1.embeddings.rows }
        let newlines = proxyV == nil ? 0 : allCrops.count
        let rows = ids.count - markers.count + visualTokens + newlines
        let width = languageModel.hiddenSize
        let embeddings = Matrix(rows: rows, cols: width)
        var row = 0, image = 0
        var virtualRows: [Int32] = []
        var cropRows: [Int] = []
        for id in ids {
            guard id == imageTokenId, image < images.count else {
                try languageModel.embed([id], into: embeddings.row(row))
                virtualRows.append(Int32(row))
                row += 1
                continue
            }
            for crop in images[image] {
                embeddings.row(row).update(from: crop.embeddings.data, count: crop.embeddings.count)
                if virtualUnmerging, let cropVirtualRows = crop.virtualRows {
                    virtualRows += cropVirtualRows.map { Int32(row) + $0 }
                } else {
                    virtualRows += (row..<(row + crop.embeddings.rows)).map(Int32.init)
                }
                cropRows.append(row)
                row += crop.embeddings.rows
                if let proxyV {
                    embeddings.copyRow(row, from: proxyV.imageNewline)
                    virtualRows.append(Int32(row))
                    row += 1
                }
            }
            image += 1
        }
        let positions = (0..<virtualRows.count).map(Int32.init)
        let isExpanded = virtualRows.count != rows
        let input = PreparedInput(embeddings: embeddings, positions: positions,
                                  virtualRows: isExpanded ? virtualRows : nil,
                                  imageCrops: proxyV != nil ? cropRows : [])
        return PreparedRequest(input: input, visualTokens: visualTokens,
                               tokensPerLayer: allCrops.map(\.tokensPerLayer))
    }

    /// One image file → its (possibly reduced) vision features, one entry per crop.
    func encodeImage(_ path: String, reduction: VisualTokenReduction, timings: inout Timings) throws -> [EncodedImage] {
        guard let imageEncoder, let imagePreprocessor else {
            throw EngineError.invalidArgument("\(directory) is a text-only model; it cannot take images")
        }
        let crops = try measure(&timings.imagePreprocess) { () throws -> [PixelValues] in
            // The original repository opens images without applying EXIF orientation.
            let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path), applyEXIFOrientation: imageAspectRatio == nil)
            return try imageAspectRatio?.process(image, processor: imagePreprocessor) ?? [imagePreprocessor(image)]
        }
        let vision = imageEncoder.vision
        return try crops.map { pixels in
            guard pixels.height == vision.imageSize, pixels.width == vision.imageSize else {
                throw EngineError.unsupportedModel(
                    "the image preprocessor makes \(pixels.width)×\(pixels.height) images but the vision tower takes \(vision.imageSize)×\(vision.imageSize)")
            }
            return try measure(&timings.visionTower) {
                try pixels.data.withUnsafeBufferPointer { try imageEncoder.encode(pixels: $0.baseAddress!, reduction: reduction) }
            }
        }
    }
}
