import CJPEG
import Foundation

/// JPEG through libjpeg, with Pillow's settings and Pillow's conversion to RGB.
///
/// Mirrors Pillow's JpegImagePlugin.py (mode from the component count: 1 → "L", 3 → "RGB",
/// 4 → "CMYK" read with rawmode "CMYK;I"), src/libImaging/JpegDecode.c (libjpeg defaults:
/// JDCT_ISLOW, fancy upsampling) and src/libImaging/Convert.c (`cmyk2rgb`, L → RGB).
/// The libjpeg calls themselves are in Sources/CJPEG/shim.h, where setjmp is possible.
enum JPEGDecoder {
    static func decode(_ data: Data, name: String, maxPixels: Int) throws -> RGBImage {
        var result = vlm_jpeg_result()
        let status = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int32 in
            let base = raw.bindMemory(to: UInt8.self).baseAddress!
            return vlm_jpeg_decode(base, UInt(raw.count), UInt64(max(maxPixels, 0)), &result)
        }
        defer { free(result.pixels) }
        let message = withUnsafeBytes(of: result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch Int(status) {
        case Int(VLM_JPEG_OK):
            break
        case Int(VLM_JPEG_TOO_LARGE):
            throw ImageError(.tooLarge, file: name,
                             "JPEG image is \(result.width)x\(result.height) = \(Int(result.width) * Int(result.height)) pixels, over the limit of \(maxPixels)")
        case Int(VLM_JPEG_TRUNCATED):
            throw ImageError(.truncated, file: name, "JPEG image file is truncated")
        case Int(VLM_JPEG_UNSUPPORTED):
            throw ImageError(.unsupported, file: name, "unsupported JPEG: \(message)")
        case Int(VLM_JPEG_NO_MEMORY):
            throw ImageError(.tooLarge, file: name, "out of memory decoding a \(result.width)x\(result.height) JPEG")
        default:
            throw ImageError(.corrupt, file: name, "broken JPEG data: \(message)")
        }

        let width = Int(result.width), height = Int(result.height)
        let count = width * height
        let source = UnsafeBufferPointer(start: result.pixels, count: count * Int(result.components))
        var rgb = [UInt8](repeating: 0, count: count * 3)
        rgb.withUnsafeMutableBufferPointer { out in
            switch result.components {
            case 1:  // "L" → "RGB": the gray value three times (Convert.c l2rgb)
                for i in 0..<count {
                    let v = source[i]
                    out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                }
            case 3:
                for i in 0..<(3 * count) { out[i] = source[i] }
            default:  // 4: CMYK
                for i in 0..<count {
                    // Pillow reads Adobe-style inverted CMYK ("CMYK;I": every sample is 255 - v),
                    // then Convert.c cmyk2rgb: nk = 255 - k; out = clip(nk - muldiv255(c, nk)).
                    let c = 255 &- Int(source[4 * i])
                    let m = 255 &- Int(source[4 * i + 1])
                    let y = 255 &- Int(source[4 * i + 2])
                    let k = 255 &- Int(source[4 * i + 3])
                    let nk = 255 - k
                    out[3 * i] = clip8(nk - mulDiv255(c, nk))
                    out[3 * i + 1] = clip8(nk - mulDiv255(m, nk))
                    out[3 * i + 2] = clip8(nk - mulDiv255(y, nk))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    /// Pillow's MULDIV255 (src/libImaging/ImagingUtils.h): a * b / 255, rounded, in integers.
    @inline(__always)
    private static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        let t = a * b + 128
        return ((t >> 8) + t) >> 8
    }

    @inline(__always)
    private static func clip8(_ v: Int) -> UInt8 { UInt8(clamping: v) }

    /// The EXIF orientation Pillow's `getexif()` finds in a JPEG: tag 0x0112 of the first
    /// "Exif\0\0" APP1 segment's IFD0, else `tiff:Orientation` in an XMP APP1 segment
    /// (Image.py `getexif`, JpegImagePlugin.py `APP`). 1 when there is none or it is unreadable.
    static func orientation(in data: Data) -> Int {
        var exif: Data?
        var xmp: Data?
        let bytes = [UInt8](data.prefix(1 << 20))  // metadata precedes the scan; 1 MiB is plenty
        var i = 2
        let xmpSignature = Array("http://ns.adobe.com/xap/1.0/\0".utf8)
        while i + 4 <= bytes.count {
            guard bytes[i] == 0xFF else { i += 1; continue }  // skip junk, as Pillow does
            let marker = bytes[i + 1]
            if marker == 0xFF || marker == 0x00 { i += 1; continue }
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { break }  // start of scan / end of image
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { break }
            let segment = bytes[(i + 4)..<(i + 2 + length)]
            if marker == 0xE1 {
                if segment.starts(with: Array("Exif\0\0".utf8)) {
                    if exif == nil { exif = Data(segment.dropFirst(6)) }
                } else if segment.starts(with: xmpSignature) {
                    xmp = Data(segment.dropFirst(xmpSignature.count))
                }
            }
            i += 2 + length
        }
        if let exif, let value = EXIFOrientation.orientation(inTIFF: exif) { return value }
        if let xmp, let value = EXIFOrientation.orientation(inXMP: xmp) { return value }
        return 1
    }
}
