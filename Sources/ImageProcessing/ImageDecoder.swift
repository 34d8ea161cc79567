import Foundation

/// Reads JPEG and PNG files into 8-bit RGB exactly as transformers' `load_image` sees them:
/// `PIL.ImageOps.exif_transpose(PIL.Image.open(f)).convert("RGB")`
/// (transformers/image_utils.py `load_image`; the processors call it for paths and URLs).
///
/// - The format comes from the first bytes, never from the file name.
/// - Alpha is dropped, not composited: that is what `convert("RGB")` does for RGBA, LA and
///   palette images with tRNS. (transformers 5's processors composite onto white when handed
///   a PIL image that still has alpha; `load_image` has already dropped it by then.)
/// - EXIF orientation is applied by default, as `load_image` does; pass
///   `applyEXIFOrientation: false` for plain `Image.open(f).convert("RGB")`.
/// - Errors are `ImageError`s whose description is one line naming the file.
public enum ImageDecoder {
    /// Pillow's decompression-bomb error threshold: `2 * Image.MAX_IMAGE_PIXELS`
    /// (Image.py `_decompression_bomb_check`). Checked from the header, before any allocation.
    public static let defaultMaxPixels = 2 * 89_478_485

    public enum Format: String, Sendable {
        case jpeg = "JPEG"
        case png = "PNG"
    }

    /// Decodes the file at `url`.
    public static func decode(
        contentsOf url: URL,
        applyEXIFOrientation: Bool = true,
        maxPixels: Int = defaultMaxPixels
    ) throws -> RGBImage {
        let name = url.lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            let reason = !exists ? "no such file" : isDirectory.boolValue ? "is a directory" : "cannot be read"
            throw ImageError(.unreadable, file: name, reason)
        }
        return try decode(data: data, name: name, applyEXIFOrientation: applyEXIFOrientation, maxPixels: maxPixels)
    }

    /// Decodes image bytes; `name` is used in error messages.
    public static func decode(
        data: Data,
        name: String,
        applyEXIFOrientation: Bool = true,
        maxPixels: Int = defaultMaxPixels
    ) throws -> RGBImage {
        let format = try detectFormat(data, name: name)
        var image: RGBImage
        var orientation = 1
        switch format {
        case .jpeg:
            image = try JPEGDecoder.decode(data, name: name, maxPixels: maxPixels)
            if applyEXIFOrientation { orientation = JPEGDecoder.orientation(in: data) }
        case .png:
            let decoded = try PNGDecoder.decode(data, name: name, maxPixels: maxPixels)
            image = decoded.image
            if applyEXIFOrientation { orientation = decoded.orientation }
        }
        if orientation != 1 {
            image = EXIFOrientation.apply(orientation, to: image)
        }
        return image
    }

    /// The format from the magic bytes. Throws for empty data, other image formats and non-images.
    public static func detectFormat(_ data: Data, name: String) throws -> Format {
        if data.isEmpty { throw ImageError(.empty, file: name, "empty file") }
        let head = [UInt8](data.prefix(16))
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }  // Pillow's JpegImagePlugin._accept
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        let other: String? =
            starts(Array("GIF8".utf8)) ? "GIF"
            : starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) ? "WebP"
            : starts(Array("BM".utf8)) ? "BMP"
            : starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) ? "TIFF"
            : starts(Array("ftyp".utf8), at: 4) ? "HEIF/AVIF"
            : starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]) || starts([0xFF, 0x4F, 0xFF, 0x51]) ? "JPEG 2000"
            : starts([0x00, 0x00, 0x01, 0x00]) ? "ICO"
            : nil
        if let other {
            throw ImageError(.unsupported, file: name, "unsupported image format \(other) (only JPEG and PNG are decoded)")
        }
        let hex = head.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw ImageError(.notAnImage, file: name, "not a JPEG or PNG file (starts with \(hex))")
    }
}
