import Foundation

/// Why a HuggingFace JSON config could not be decoded, in one line without the file's name:
/// `field 'text_config.hidden_size': expected Int`, or `not valid JSON`. Each target that reads a
/// config puts its file's name in front, in its own error type.
public struct ConfigDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not JSON at all, as opposed to valid JSON with a field that is wrong.
    public let isInvalidJSON: Bool
    public let message: String

    public var description: String { message }

    /// Decodes `type` from a config file's bytes. A DecodingError becomes a ConfigDecodingError;
    /// errors the decoded types throw themselves pass through unchanged.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw ConfigDecodingError(error, data: data)
        }
    }

    init(_ error: DecodingError, data: Data) {
        func field(_ path: [any CodingKey]) -> String {
            let keys = path.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : "field '\(keys.joined(separator: "."))': "
        }
        switch error {
        case let .typeMismatch(type, context):
            self.init(isInvalidJSON: false, message: field(context.codingPath) + "expected " + Self.name(of: type))
        case let .valueNotFound(type, context):
            self.init(isInvalidJSON: false, message: field(context.codingPath) + "expected \(Self.name(of: type)), found null")
        case let .keyNotFound(key, context):
            self.init(isInvalidJSON: false, message: field(context.codingPath + [key]) + "missing")
        case let .dataCorrupted(context) where !context.codingPath.isEmpty:
            self.init(isInvalidJSON: false, message: field(context.codingPath) + context.debugDescription)
        case .dataCorrupted:
            // JSONDecoder says "not valid JSON", naming no field, also for valid JSON with a number
            // that does not fit its Swift type (1.5 where an Int is read): tell the two apart.
            if (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) == nil {
                self.init(isInvalidJSON: true, message: "not valid JSON")
            } else {
                self.init(isInvalidJSON: false,
                          message: "a number does not fit its field (a fraction, or too large, where an integer is expected)")
            }
        @unknown default:
            self.init(isInvalidJSON: false, message: "\(error)")
        }
    }

    public init(isInvalidJSON: Bool, message: String) {
        self.isInvalidJSON = isInvalidJSON
        self.message = message
    }

    /// "Int", "Bool", "String", "Float"; "a list" and "an object" for JSON's containers.
    static func name(of type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array<") { return "a list" }
        if name.hasPrefix("Dictionary<") { return "an object" }
        return name
    }
}
