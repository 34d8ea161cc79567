import ConfigDecoding
import Foundation

/// Reads the JSON files of a checkpoint directory, with errors that name the file and the field:
/// `weights/x/config.json: field 'text_config.hidden_size': expected Int`.
enum JSONFile {
    static func data(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw EngineError.missingFile(path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw EngineError.missingFile(path) }
        return data
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do {
            return try ConfigDecodingError.decode(type, from: data)
        } catch let error as ConfigDecodingError {
            throw EngineError.invalidJSON(file: file, reason: error.message)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        try decode(type, from: data(path), file: path)
    }
}
