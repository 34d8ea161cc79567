import CPNG
import Foundation

/// PNG through libpng, converted to RGB by Pillow's rules.
///
/// libpng (Sources/CPNG/shim.h) only inflates, unfilters, de-interlaces and unpacks; the
/// samples are then mapped as Pillow does it: PngImagePlugin.py `_MODES` picks the mode and
/// raw mode, src/libImaging/Unpack.c unpacks, Convert.c's `convert("RGB")` maps to RGB:
///
/// | PNG                      | Pillow mode (raw mode) | → RGB                                   |
/// |--------------------------|------------------------|-----------------------------------------|
/// | gray 1 bit               | 1                      | 0 → 0, 1 → 255                          |
/// | gray 2 / 4 bit           | L (L;2, L;4)           | v * 85, v * 17                          |
/// | gray 8 bit               | L                      | v, v, v                                 |
/// | gray 16 bit              | I;16 (I;16B)           | min(v, 255): clipped, not scaled        |
/// | gray+alpha 8 / 16 bit    | LA / RGBA (LA;16B)     | gray (high byte for 16 bit), alpha dropped |
/// | RGB, RGBA 8 / 16 bit     | RGB / RGBA (…;16B)     | the high byte of each sample, alpha dropped |
/// | palette 1/2/4/8 bit      | P                      | PLTE[i]; an index past PLTE gives black  |
///
/// tRNS, gAMA, sRGB, iCCP, sBIT are ignored, as `convert("RGB")` ignores them.
enum PNGDecoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func decode(_ data: Data, name: String, maxPixels: Int) throws -> (image: RGBImage, orientation: Int) {
        let chunks = try scanChunks(data, name: name)

        var result = vlm_png_result()
        let status = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int32 in
            let base = raw.bindMemory(to: UInt8.self).baseAddress!
            return vlm_png_decode(base, raw.count, UInt64(max(maxPixels, 0)), &result)
        }
        defer { free(result.pixels) }
        let message = withUnsafeBytes(of: result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch Int(status) {
        case Int(VLM_PNG_OK):
            break
        case Int(VLM_PNG_TOO_LARGE):
            throw ImageError(.tooLarge, file: name,
                             "PNG image is \(result.width)x\(result.height) = \(Int(result.width) * Int(result.height)) pixels, over the limit of \(maxPixels)")
        case Int(VLM_PNG_NO_MEMORY):
            throw ImageError(.tooLarge, file: name, "out of memory decoding a \(result.width)x\(result.height) PNG")
        default:
            if message.contains("truncated") {
                throw ImageError(.truncated, file: name, "PNG image file is truncated")
            }
            throw ImageError(.corrupt, file: name, "broken PNG data: \(message.isEmpty ? "libpng error" : message)")
        }

        let image = toRGB(result)
        return (image, chunks.orientation)
    }

    private static func toRGB(_ r: vlm_png_result) -> RGBImage {
        let width = Int(r.width), height = Int(r.height)
        let channels = Int(r.channels), depth = Int(r.bit_depth), rowBytes = r.row_bytes
        let sampleBytes = depth == 16 ? 2 : 1
        // An index past the PLTE entries gives black in Pillow 13 (measured; the palette it
        // converts with is PLTE padded with zeros).
        var palette = [UInt8](repeating: 0, count: 256 * 3)
        withUnsafeBytes(of: r.palette) { raw in
            for i in 0..<(3 * Int(r.num_palette)) { palette[i] = raw[i] }
        }
        // 1-bit gray is mode "1" (0 / 255); 2- and 4-bit gray are scaled to 8 bits (Unpack.c
        // unpackL2, unpackL4); 8-bit samples stay; 16-bit gray clips; other 16-bit samples keep
        // their high (first, big-endian) byte.
        let grayScale: Int = depth == 1 ? 255 : depth == 2 ? 85 : depth == 4 ? 17 : 1
        let isPalette = Int(r.color_type) == Int(PNG_COLOR_TYPE_PALETTE)
        let isGray16 = depth == 16 && Int(r.color_type) == Int(PNG_COLOR_TYPE_GRAY)

        var out = [UInt8](repeating: 0, count: width * height * 3)
        out.withUnsafeMutableBufferPointer { dst in
            palette.withUnsafeBufferPointer { pal in
                let src = UnsafeBufferPointer(start: r.pixels, count: rowBytes * height)
                for y in 0..<height {
                    let row = y * rowBytes
                    for x in 0..<width {
                        let p = row + x * channels * sampleBytes
                        let d = (y * width + x) * 3
                        if isPalette {
                            let i = Int(src[p]) * 3
                            dst[d] = pal[i]; dst[d + 1] = pal[i + 1]; dst[d + 2] = pal[i + 2]
                        } else if channels <= 2 {  // gray, gray+alpha
                            let v: UInt8
                            if isGray16 {
                                v = src[p] != 0 ? 255 : src[p + 1]
                            } else if depth == 16 {
                                v = src[p]
                            } else {
                                v = UInt8(truncatingIfNeeded: Int(src[p]) * grayScale)
                            }
                            dst[d] = v; dst[d + 1] = v; dst[d + 2] = v
                        } else {  // RGB, RGBA
                            dst[d] = src[p]
                            dst[d + 1] = src[p + sampleBytes]
                            dst[d + 2] = src[p + 2 * sampleBytes]
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// What the chunk walk finds before libpng runs.
    struct Chunks {
        var orientation = 1
    }

    /// Walks the chunks as Pillow's PngImagePlugin does: every chunk before the first IDAT must
    /// have a correct CRC ("broken PNG file (bad header checksum in ...)"); IDAT checksums are not
    /// checked. Collects the EXIF orientation from eXIf (anywhere in the file), or from a tEXt /
    /// uncompressed iTXt "Raw profile type exif", or from XMP ("XML:com.adobe.xmp").
    /// Compressed zTXt / iTXt metadata is skipped (no zlib here), so an orientation stored only
    /// there is not applied.
    static func scanChunks(_ data: Data, name: String) throws -> Chunks {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 + 12 else { throw ImageError(.truncated, file: name, "PNG image file is truncated") }
        var exif: Data?
        var rawProfile: Data?
        var xmp: Data?
        var offset = 8
        var seenIDAT = false
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let typeBytes = bytes[(offset + 4)..<(offset + 8)]
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                if seenIDAT { break }  // trailing junk after the image data: libpng decides
                throw ImageError(.corrupt, file: name, "broken PNG file (no valid chunk at byte \(offset))")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            if offset == 8 && type != "IHDR" {
                throw ImageError(.corrupt, file: name, "broken PNG file (first chunk is \(type), not IHDR)")
            }
            let start = offset + 8
            guard length <= bytes.count - start else {
                if seenIDAT { break }
                throw ImageError(.truncated, file: name, "PNG image file is truncated (in chunk \(type))")
            }
            let end = start + length
            if type == "IDAT" { seenIDAT = true }
            if !seenIDAT {
                guard end + 4 <= bytes.count else {
                    throw ImageError(.truncated, file: name, "PNG image file is truncated (in chunk \(type))")
                }
                let stored = UInt32(bytes[end]) << 24 | UInt32(bytes[end + 1]) << 16 | UInt32(bytes[end + 2]) << 8 | UInt32(bytes[end + 3])
                if CRC32.checksum(bytes[(offset + 4)..<end]) != stored {
                    throw ImageError(.corrupt, file: name, "broken PNG file (bad checksum in chunk \(type))")
                }
            }
            let body = bytes[start..<end]
            switch type {
            case "eXIf":
                if exif == nil { exif = Data(body) }
            case "tEXt", "iTXt":
                if let zero = body.firstIndex(of: 0) {
                    let keyword = String(decoding: body[body.startIndex..<zero], as: UTF8.self)
                    var text = body[(zero + 1)...]
                    if type == "iTXt" {
                        // compression flag, method, language tag \0, translated keyword \0, text
                        guard text.count >= 2, text[text.startIndex] == 0 else { break }
                        text = text.dropFirst(2)
                        guard let a = text.firstIndex(of: 0) else { break }
                        text = text[(a + 1)...]
                        guard let b = text.firstIndex(of: 0) else { break }
                        text = text[(b + 1)...]
                    }
                    if keyword == "Raw profile type exif" { rawProfile = Data(text) }
                    if keyword == "XML:com.adobe.xmp" { xmp = Data(text) }
                }
            case "IEND":
                offset = bytes.count
                continue
            default:
                break
            }
            offset = end + 4
        }
        var chunks = Chunks()
        if exif == nil, let rawProfile { exif = decodeRawProfile(rawProfile) }
        if let exif, let value = EXIFOrientation.orientation(inTIFF: exif) {
            chunks.orientation = value
        } else if let xmp, let value = EXIFOrientation.orientation(inXMP: xmp) {
            chunks.orientation = value
        }
        return chunks
    }

    /// ImageMagick's "Raw profile type exif" text: "\nexif\n   <length>\n<hex lines>";
    /// Pillow joins the lines from the fourth on and reads them as hex.
    private static func decodeRawProfile(_ text: Data) -> Data? {
        let lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard lines.count > 3 else { return nil }
        var out = [UInt8]()
        var high: UInt8?
        for line in lines.dropFirst(3) {
            for c in line {
                let v: UInt8
                switch c {
                case 48...57: v = c - 48
                case 97...102: v = c - 87
                case 65...70: v = c - 55
                case 32, 9, 13: continue
                default: return nil
                }
                if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
            }
        }
        return Data(out)
    }
}

/// The CRC-32 of PNG chunks (ISO 3309 / zlib's crc32).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
