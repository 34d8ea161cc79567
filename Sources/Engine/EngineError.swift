/// Problems a user can cause (bad paths, bad files, bad options). Each renders as one line.
public enum EngineError: Error, CustomStringConvertible {
    case missingDirectory(String)
    case missingFile(String)
    case invalidJSON(file: String, reason: String)
    case unsupportedModel(String)
    case invalidArgument(String)
    case promptTooLong(tokens: Int, context: Int)

    public var description: String {
        switch self {
        case let .missingDirectory(path): "model directory \(path) does not exist"
        case let .missingFile(path): "missing file \(path)"
        case let .invalidJSON(file, reason): "\(file): \(reason)"
        case let .unsupportedModel(message): message
        case let .invalidArgument(message): message
        case let .promptTooLong(tokens, context):
            "the prompt is \(tokens) tokens but the model's context is \(context)"
        }
    }
}
