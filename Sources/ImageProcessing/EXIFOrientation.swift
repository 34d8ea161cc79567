import Foundation

/// EXIF orientation: reading the tag and applying it the way `PIL.ImageOps.exif_transpose` does.
///
/// transformers' `load_image` (image_utils.py) calls `exif_transpose` before `convert("RGB")`,
/// and the processors call `load_image` for every path or URL, so a photo taken with the
/// camera on its side reaches the model upright. This target does the same by default.
enum EXIFOrientation {
    /// Tag 0x0112 in IFD0 of TIFF-structured EXIF data (after any "Exif\0\0" prefix), or nil
    /// when the tag is absent or the data is not TIFF. Values of type BYTE, SHORT or LONG with
    /// count 1 are read, like Pillow's ImageFileDirectory_v2.
    static func orientation(inTIFF data: Data) -> Int? {
        var bytes = [UInt8](data)
        if bytes.starts(with: Array("Exif\0\0".utf8)) { bytes.removeFirst(6) }
        guard bytes.count >= 8 else { return nil }
        let little: Bool
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= bytes.count else { return nil }
            return little ? Int(bytes[o]) | Int(bytes[o + 1]) << 8 : Int(bytes[o]) << 8 | Int(bytes[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let o = ifd + 2 + 12 * entry
            guard let tag = u16(o), let type = u16(o + 2), let n = u32(o + 4) else { return nil }
            guard tag == 0x0112 else { continue }
            guard n == 1 else { return nil }
            switch type {
            case 1: return o + 8 < bytes.count ? Int(bytes[o + 8]) : nil  // BYTE
            case 3: return u16(o + 8)  // SHORT
            case 4: return u32(o + 8)  // LONG
            default: return nil
            }
        }
        return nil
    }

    /// Pillow's fallback when EXIF has no orientation: the regex `tiff:Orientation(="|>)([0-9])`
    /// over the XMP packet (Image.py `getexif`).
    static func orientation(inXMP data: Data) -> Int? {
        let bytes = [UInt8](data)
        let key = Array("tiff:Orientation".utf8)
        guard bytes.count > key.count + 1 else { return nil }
        var i = 0
        while i + key.count + 1 < bytes.count {
            if bytes[i] == key[0], Array(bytes[i..<(i + key.count)]) == key {
                let j = i + key.count
                if bytes[j] == UInt8(ascii: ">"), (48...57).contains(bytes[j + 1]) {
                    return Int(bytes[j + 1]) - 48
                }
                if bytes[j] == UInt8(ascii: "="), j + 2 < bytes.count, bytes[j + 1] == UInt8(ascii: "\""),
                   (48...57).contains(bytes[j + 2]) {
                    return Int(bytes[j + 2]) - 48
                }
            }
            i += 1
        }
        return nil
    }

    /// The image as `exif_transpose` returns it for `orientation` (ImageOps.py): 2 flip
    /// left-right, 3 rotate 180, 4 flip top-bottom, 5 transpose, 6 rotate 270 (90° clockwise),
    /// 7 transverse, 8 rotate 90 (90° counter-clockwise); anything else leaves it as it is.
    static func apply(_ orientation: Int, to image: RGBImage) -> RGBImage {
        guard (2...8).contains(orientation) else { return image }
        let w = image.width, h = image.height
        let swaps = orientation >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        // Source pixel (sx, sy) for output pixel (x, y).
                        let sx: Int, sy: Int
                        switch orientation {
                        case 2: sx = w - 1 - x; sy = y
                        case 3: sx = w - 1 - x; sy = h - 1 - y
                        case 4: sx = x; sy = h - 1 - y
                        case 5: sx = y; sy = x
                        case 6: sx = y; sy = h - 1 - x
                        case 7: sx = w - 1 - y; sy = h - 1 - x
                        default: sx = w - 1 - y; sy = x  // 8
                        }
                        let s = (sy * w + sx) * 3, d = (y * ow + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)
    }
}
