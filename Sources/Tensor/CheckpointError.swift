/// A problem with a checkpoint's files. Every case renders as one line naming the file or key.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case corrupt(file: String, reason: String)
    case truncated(file: String, tensor: String, needed: Int, available: Int)
    case missingTensor(key: String, in: String)
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case unsupportedDType(key: String, dtype: String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): "cannot read \(file): \(reason)"
        case let .corrupt(file, reason): "corrupt safetensors file \(file): \(reason)"
        case let .truncated(file, tensor, needed, available):
            "truncated safetensors file \(file): tensor '\(tensor)' needs bytes up to \(needed) but the file has \(available)"
        case let .missingTensor(key, place): "missing tensor '\(key)' in \(place)"
        case let .shapeMismatch(key, expected, found):
            "tensor '\(key)' has shape \(found) but the config implies \(expected)"
        case let .unsupportedDType(key, dtype): "tensor '\(key)' has unsupported dtype \(dtype)"
        case let .invalid(message): message
        }
    }
}
