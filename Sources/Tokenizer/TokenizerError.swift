import Foundation
// Errors raised while loading a tokenizer. Encoding and decoding never fail: every String can be
// encoded and unknown ids are skipped when decoding, as HF tokenizers does.

/// A tokenizer file could not be loaded. `description` is one line naming the file and the problem,
/// e.g. `/m/tokenizer.json: unsupported pre-tokenizer type "BertPreTokenizer"`.
public struct TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file does not exist.
        case fileNotFound
        /// The file exists but could not be read.
        case unreadableFile
        /// The file is not valid JSON.
        case invalidJSON
        /// A component (model type, normalizer, pre-tokenizer, decoder, post-processor) this
        /// implementation does not support; `component` names it.
        case unsupported(component: String)
        /// The JSON is well formed but does not describe a usable tokenizer (missing vocabulary,
        /// a merge naming an unknown token, ...).
        case invalidConfiguration
    }

    public let kind: Kind
    /// Path (or name) of the file the problem is in.
    public let file: String
    /// What went wrong, without the file name.
    public let message: String

    public init(kind: Kind, file: String, message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// A problem found while interpreting tokenizer.json; `Tokenizer` adds the file name.
struct ConfigurationError: Error {
    let kind: TokenizerError.Kind
    let message: String

    static func unsupported(_ what: String, type: String) -> ConfigurationError {
        ConfigurationError(kind: .unsupported(component: type), message: "unsupported \(what) type \"\(type)\"")
    }

    static func invalid(_ message: String) -> ConfigurationError {
        ConfigurationError(kind: .invalidConfiguration, message: message)
    }

    func tokenizerError(file: String) -> TokenizerError {
        TokenizerError(kind: kind, file: file, message: message)
    }
}

extension TokenizerError {
    /// The bytes of `url`, or of `defaultName` inside it when it is a directory, and the path read.
    static func readFile(_ url: URL, defaultName: String) throws(TokenizerError) -> (Data, String) {
        var fileURL = url
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            fileURL = url.appendingPathComponent(defaultName)
        }
        let path = fileURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TokenizerError(kind: .fileNotFound, file: path, message: "file not found")
        }
        do {
            return (try Data(contentsOf: fileURL), path)
        } catch {
            throw TokenizerError(kind: .unreadableFile, file: path, message: "cannot read: \(error.localizedDescription)")
        }
    }
}
