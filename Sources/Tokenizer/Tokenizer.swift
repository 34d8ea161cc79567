// The public tokenizer: a HuggingFace tokenizer.json with a BPE model (byte-level like GPT-2 / Qwen2 /
// LLaMA-3 / SmolLM2, or SentencePiece-style with byte fallback like LLaMA-2 / Vicuna / TinyLlama / Phi-3).
//
// encode: added tokens are cut out of the raw text, each stretch between them is normalized, cut again
// on normalized added tokens, pre-tokenized into words, and each word encoded by the BPE model; the
// post-processor adds BOS/EOS when asked (tokenizers/src/tokenizer/mod.rs `encode_single_sequence`).

import Foundation

/// A tokenizer loaded from tokenizer.json. Copies share the loaded vocabulary; safe to use from
/// several threads.
public struct Tokenizer: Sendable {
    let core: TokenizerCore

    /// Loads `url`: a tokenizer.json file, or a directory that contains one.
    public init(contentsOf url: URL) throws(TokenizerError) {
        let (data, path) = try TokenizerError.readFile(url, defaultName: "tokenizer.json")
        try self.init(jsonData: data, name: path)
    }

    /// Loads tokenizer.json content; `name` is used in error messages.
    public init(jsonData data: Data, name: String = "tokenizer.json") throws(TokenizerError) {
        do {
            core = TokenizerCore(definition: try TokenizerDefinition(data: data))
        } catch {
            throw error.tokenizerError(file: name)
        }
    }

    /// Token ids of `text`. With `addSpecialTokens` the post-processor adds its special tokens
    /// (e.g. LLaMA's BOS), like `tokenizer(text)`; without, like `tokenizer(text, add_special_tokens=False)`.
    /// Special tokens written in the text ("<|im_start|>") are always recognised.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        core.encode(text, addSpecialTokens: addSpecialTokens)
    }

    /// The text of `ids`. Ids the tokenizer does not know are skipped; with `skipSpecialTokens`, special
    /// added tokens too. Invalid UTF-8 (e.g. half of an emoji) becomes U+FFFD, as in HF tokenizers.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        core.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    /// The id of a token as the vocabulary spells it ("Ġthe", "▁the", "<|endoftext|>"), added tokens first.
    public func id(forToken token: String) -> Int? {
        core.addedTokenIds[ExactString(token)] ?? core.model.vocabulary.id(token)
    }

    /// The token spelled as in the vocabulary, or nil for an unknown id.
    public func token(forId id: Int) -> String? {
        core.tokenString(id)
    }

    /// One more than the largest token id (model vocabulary and added tokens).
    public var vocabularySize: Int { core.vocabularySize }

    /// Whether `id` is a special added token (skipped by `decode(_:skipSpecialTokens: true)`).
    public func isSpecialToken(_ id: Int) -> Bool {
        core.specialTokenIds.contains(id)
    }

    /// A streaming decoder for this tokenizer.
    public func streamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }

    /// The tokenizer as transformers 5 builds it from this tokenizer.json and `config`.
    ///
    /// For `tokenizer_class` "LlamaTokenizer" / "LlamaTokenizerFast", transformers 5 keeps the vocabulary,
    /// merges, added tokens and post-processor of tokenizer.json but replaces its normalizer,
    /// pre-tokenizer and decoder (transformers/models/llama/tokenization_llama.py): no normalizer,
    /// Metaspace("▁", prepend_scheme "first" unless `legacy` is true, split false), decoder
    /// Replace + ByteFallback + Fuse + Strip. It differs from tokenizer.json's Prepend/Replace form right
    /// after an added token: "<image>\nWhat" gets no "▁" (id 29871 in LLaMA-2) before "\n".
    /// Other classes are returned unchanged: this implementation follows tokenizer.json (HF tokenizers).
    public func matchingTransformers(_ config: TokenizerConfig) -> Tokenizer {
        guard let tokenizerClass = config.tokenizerClass,
            ["LlamaTokenizer", "LlamaTokenizerFast"].contains(tokenizerClass)
        else { return self }
        let addPrefixSpace = config.addPrefixSpace ?? true
        let prependScheme: PrependScheme = addPrefixSpace ? (config.legacy == true ? .always : .first) : .never
        var definition = core.definition
        definition.normalizer = nil
        definition.preTokenizer = .metaspace(replacement: "\u{2581}", prependScheme: prependScheme, split: false)
        var steps: [Decoder] = [.replace(.string("\u{2581}"), content: " "), .byteFallback, .fuse]
        if addPrefixSpace { steps.append(.strip(content: " ", start: 1, stop: 0)) }
        definition.decoder = .sequence(steps)
        return Tokenizer(core: TokenizerCore(definition: definition))
    }

    private init(core: TokenizerCore) {
        self.core = core
    }
}

/// The loaded tokenizer, shared by copies of `Tokenizer` and by streaming decoders.
final class TokenizerCore: Sendable {
    let definition: TokenizerDefinition
    let model: BPEModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: Decoder?
    let streamingPlan: StreamingPlan
    let addedTokenIds: [ExactString: Int]
    let addedTokenContents: [Int: String]
    let specialTokenIds: Set<Int>
    /// Added tokens matched in the raw text (normalized == false).
    let rawTextMatcher: AddedTokenMatcher
    /// Added tokens matched in normalized text (normalized == true), by their normalized content.
    let normalizedTextMatcher: AddedTokenMatcher
    let vocabularySize: Int

    init(definition: TokenizerDefinition) {
        self.definition = definition
        model = definition.model
        normalizer = definition.normalizer
        preTokenizer = definition.preTokenizer
        postProcessor = definition.postProcessor
        decoder = definition.decoder
        streamingPlan = StreamingPlan(decoder: definition.decoder)

        var addedTokenIds: [ExactString: Int] = [:]
        var addedTokenContents: [Int: String] = [:]
        var specialTokenIds = Set<Int>()
        for token in definition.addedTokens where !token.content.isEmpty {
            addedTokenIds[ExactString(token.content)] = token.id
            addedTokenContents[token.id] = token.content
            if token.special { specialTokenIds.insert(token.id) }
        }
        self.addedTokenIds = addedTokenIds
        self.addedTokenContents = addedTokenContents
        self.specialTokenIds = specialTokenIds

        // HF orders the patterns special tokens first, then the others, each in file order.
        let ordered = definition.addedTokens.filter(\.special) + definition.addedTokens.filter { !$0.special }
        rawTextMatcher = AddedTokenMatcher(ordered.filter { !$0.normalized }.map { ($0, $0.content) })
        let normalizer = definition.normalizer
        normalizedTextMatcher = AddedTokenMatcher(
            ordered.filter(\.normalized).map { ($0, normalizer?.normalize($0.content) ?? $0.content) })

        vocabularySize = max(model.vocabulary.idLimit, (addedTokenContents.keys.max() ?? -1) + 1)
    }

    func tokenString(_ id: Int) -> String? {
        if let content = addedTokenContents[id] { return content }
        return model.vocabulary.token(id)
    }

    func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        for segment in rawTextMatcher.split(text, startsText: true) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let raw, let startsText):
                let normalized = normalizer?.normalize(raw) ?? raw
                for piece in normalizedTextMatcher.split(normalized, startsText: startsText) {
                    switch piece {
                    case .token(let id): ids.append(id)
                    case .text(let text, let startsText): encodeNormalized(text, startsText: startsText, into: &ids)
                    }
                }
            }
        }
        return postProcessor?.process(ids, addSpecialTokens: addSpecialTokens) ?? ids
    }

    private func encodeNormalized(_ text: String, startsText: Bool, into ids: inout [Int]) {
        guard !text.isEmpty else { return }
        let whole = PreToken(scalars: Array(text.unicodeScalars), startsText: startsText)
        let words = preTokenizer?.preTokenize([whole]) ?? [whole]
        for word in words { model.tokenize(word.scalars, into: &ids) }
    }

    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens, specialTokenIds.contains(id) { continue }
            if let token = tokenString(id) { tokens.append(token) }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }
}
