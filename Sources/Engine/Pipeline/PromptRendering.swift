import ChatTemplate

/// Prompt text and token ids of a request.
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
}
