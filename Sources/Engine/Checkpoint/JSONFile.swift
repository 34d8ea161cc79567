import Foundation

/// Reads the JSON files of a checkpoint directory, with errors that name the file and the field.
enum JSONFile {
    static func data(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw EngineError.missingFile(path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw EngineError.missingFile(path) }
        return data
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw EngineError.invalidJSON(file: file, reason: describe(error))
        } catch {
            throw EngineError.invalidJSON(file: file, reason: "\(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        try decode(type, from: data(path), file: path)
    }

    static func object(_ path: String) throws -> [String: Any] {
        let data = try data(path)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EngineError.invalidJSON(file: path, reason: "not a JSON object")
        }
        return object
    }

    /// One line for a DecodingError: which field, and what was wrong with it.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "top level" : "field '\(keys.joined(separator: "."))'"
        }
        switch error {
        case let .typeMismatch(type, context): return "\(path(context)): expected \(type)"
        case let .valueNotFound(type, context): return "\(path(context)): missing \(type) value"
        case let .keyNotFound(key, context): return "\(path(context)): missing key '\(key.stringValue)'"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? context.debugDescription : "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
