/// Errors of the language model at run time, each one line.
public enum LLMError: Error, CustomStringConvertible {
    case contextFull(needed: Int, capacity: Int)
    case tokenOutOfRange(id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .contextFull(needed, capacity):
            "the sequence needs \(needed) positions but the KV cache holds \(capacity) (the model's context or --max-tokens limit)"
        case let .tokenOutOfRange(id, vocabularySize):
            "token id \(id) is outside the vocabulary of \(vocabularySize)"
        }
    }
}
