import Tokenizer

/// A request from prompt to streamed answer: render, assemble the LLM input, generate.
extension VisionLanguageModel {
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
        let images = try request.images.map { path in
            let image = try measure(&timings.imagePreprocess) { try decodeImage(.file(path)) }
            return try encodeImage(image, reduction: request.reduction, proxyV: request.proxyV, timings: &timings)
        }
        let prepared = try prepareInput(ids: ids, images: images, virtualUnmerging: request.reduction.unmergesVirtually,
                                        proxyV: request.proxyV)

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
}
