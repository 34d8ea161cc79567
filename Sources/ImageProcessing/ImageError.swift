/// An image that could not be read, or a preprocessor config that could not be used.
///
/// Its description is one line that names the file and the problem, e.g.
/// `photo.jpg: not a JPEG or PNG file (starts with 3c 68 74 6d)`.
public struct ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The file could not be read (missing, a directory, no permission).
        case unreadable
        /// The file is empty.
        case empty
        /// A known image format this target does not decode (GIF, WebP, ...), or a
        /// feature of JPEG / PNG that Pillow does not open either.
        case unsupported
        /// Neither JPEG nor PNG by its first bytes.
        case notAnImage
        /// The data ends before the image does.
        case truncated
        /// The decoder rejected the data.
        case corrupt
        /// More pixels than the decompression-bomb limit.
        case tooLarge
        /// A preprocessor config that cannot be parsed or used.
        case invalidConfig
    }

    public let kind: Kind
    /// The file (its last path component) or another name for the data.
    public let file: String
    public let message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\(file): \(oneLine)"
    }
}
