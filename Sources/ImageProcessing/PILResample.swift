import Foundation

/// Pillow's resampling filters, numbered as `PIL.Image.Resampling` (and as the `resample`
/// field of a preprocessor_config.json). NEAREST (0) is a different code path in Pillow
/// (an affine transform) and is not implemented.
public enum ResampleFilter: Int, Sendable, CaseIterable {
    case lanczos = 1
    case bilinear = 2
    case bicubic = 3
    case box = 4
    case hamming = 5

    /// The filter's support in input pixels at scale 1 (Resample.c `struct filter`).
    var support: Double {
        switch self {
        case .box: 0.5
        case .bilinear, .hamming: 1.0
        case .bicubic: 2.0
        case .lanczos: 3.0
        }
    }

    /// The filter kernel, term for term as Resample.c writes it (so in Double, with the same
    /// float constants), because the fixed-point weights are rounded from these values.
    @inline(__always)
    func weight(_ x0: Double) -> Double {
        switch self {
        case .box:
            return x0 > -0.5 && x0 <= 0.5 ? 1.0 : 0.0
        case .bilinear:
            let x = abs(x0)
            return x < 1.0 ? 1.0 - x : 0.0
        case .hamming:
            let x = abs(x0)
            if x == 0.0 { return 1.0 }
            if x >= 1.0 { return 0.0 }
            let px = x * Double.pi
            // 0.54f and 0.46f are float literals in C, promoted to double.
            return sin(px) / px * (Double(Float(0.54)) + Double(Float(0.46)) * cos(px))
        case .bicubic:
            // a = -0.5 (Keys' cubic convolution), as in Pillow.
            let a = -0.5
            let x = abs(x0)
            if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0.0
        case .lanczos:
            if -3.0 <= x0 && x0 < 3.0 { return Self.sinc(x0) * Self.sinc(x0 / 3) }
            return 0.0
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0.0 { return 1.0 }
        let px = x * Double.pi
        return sin(px) / px
    }
}

/// `PIL.Image.resize(size, resample)` for RGB images, bit for bit.
///
/// A port of Pillow's src/libImaging/Resample.c (ImagingResampleInner, precompute_coeffs,
/// normalize_coeffs_8bpc, ImagingResampleHorizontal_8bpc / Vertical_8bpc):
/// - separable, with an 8-bit intermediate image (each value clipped to 0...255) between the
///   passes, and a pass whose size does not change skipped. The order is Pillow 13's
///   (ImagingResampleInner `horizontal_first`): when the height shrinks by more than twice as
///   many pixels as the width does, the vertical pass runs first over the whole width, then the
///   horizontal one; otherwise a horizontal pass over only the input rows the vertical pass will
///   read, then the vertical pass. Pillow 12 and older always run horizontal first
///   (`PassOrder.horizontalFirst`); the two orders round the intermediate differently, so a
///   tall image shrunk a lot (e.g. 300x901 to 16x48) can differ by one level in some pixels;
/// - when downscaling by `scale` the kernel is stretched by `scale` (support × scale taps),
///   which is Pillow's antialiasing;
/// - weights are computed in Double, normalised to sum 1, then rounded to fixed point with
///   PRECISION_BITS = 22 fractional bits; sums are 32-bit integers that start at 1 << 21
///   (rounding) and are shifted right by 22 and clipped.
public enum PILResample {
    static let precisionBits: Int32 = 32 - 8 - 2

    /// Which pass runs first.
    public enum PassOrder: Sendable {
        /// Pillow 13: vertical first when `inHeight - height > 2 * (inWidth - width)` (and the
        /// height shrinks), else horizontal first.
        case pillow13
        /// Pillow 12 and older (e.g. the Pillow 10 of LLaVA-era environments): always horizontal first.
        case horizontalFirst
    }

    /// Resizes `image` to `width` × `height`. Same size returns the image unchanged
    /// (Pillow copies it). Pillow refuses a zero-sized target or source; here a target size
    /// below 1 is taken as 1 and an empty source gives a black image, so nothing traps.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: ResampleFilter,
                              passOrder: PassOrder = .pillow13) -> RGBImage {
        let width = max(width, 1), height = max(height, 1)
        if width == image.width && height == image.height { return image }
        if image.width == 0 || image.height == 0 { return RGBImage(width: width, height: height, fill: (0, 0, 0)) }

        let needHorizontal = width != image.width
        let needVertical = height != image.height
        let vertical = Coefficients(inSize: image.height, outSize: height, filter: filter)
        let shrinkH = image.height - height, shrinkW = image.width - width
        if passOrder == .pillow13 && shrinkH > 0 && shrinkH > shrinkW * 2 {
            // Vertical pass over every column, then the horizontal pass over every output row.
            var current = resampleVertical(image, rowOffset: 0, coefficients: vertical, outHeight: height)
            if needHorizontal {
                let horizontal = Coefficients(inSize: image.width, outSize: width, filter: filter)
                current = resampleHorizontal(current, rows: 0..<height, coefficients: horizontal, outWidth: width)
            }
            return current
        }
        // Rows of the input that the vertical pass reads.
        let firstRow = vertical.bounds[0]
        let lastRow = vertical.bounds[2 * (height - 1)] + vertical.bounds[2 * (height - 1) + 1]

        var current = image
        var rowOffset = 0  // input row of `current`'s row 0
        if needHorizontal {
            let horizontal = Coefficients(inSize: image.width, outSize: width, filter: filter)
            current = resampleHorizontal(image, rows: firstRow..<lastRow, coefficients: horizontal, outWidth: width)
            rowOffset = firstRow
        }
        if needVertical {
            current = resampleVertical(current, rowOffset: rowOffset, coefficients: vertical, outHeight: height)
        }
        return current
    }

    /// Per output position: the first input index, the number of taps, and `ksize` fixed-point
    /// weights (Resample.c precompute_coeffs + normalize_coeffs_8bpc, with box (0, inSize)).
    struct Coefficients {
        let ksize: Int
        /// (xmin, count) pairs.
        let bounds: [Int]
        let weights: [Int32]

        init(inSize: Int, outSize: Int, filter: ResampleFilter) {
            // in0 / in1 are floats in C (the box); integer sizes convert exactly.
            let in0 = Double(Float(0)), in1 = Double(Float(inSize))
            let scale = (in1 - in0) / Double(outSize)
            let filterScale = max(scale, 1.0)
            let support = filter.support * filterScale
            let ksize = Int(support.rounded(.up)) * 2 + 1
            var bounds = [Int](repeating: 0, count: outSize * 2)
            var weights = [Int32](repeating: 0, count: outSize * ksize)
            var k = [Double](repeating: 0, count: ksize)
            let ss = 1.0 / filterScale
            let one = Double(Int32(1) << precisionBits)
            for xx in 0..<outSize {
                let center = in0 + (Double(xx) + 0.5) * scale
                var xmin = Int(center - support + 0.5)  // C's (int) cast truncates toward zero
                if xmin < 0 { xmin = 0 }
                var xmax = Int(center + support + 0.5)
                if xmax > inSize { xmax = inSize }
                xmax -= xmin
                var ww = 0.0
                for x in 0..<xmax {
                    let w = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                    k[x] = w
                    ww += w
                }
                for x in 0..<xmax where ww != 0.0 { k[x] /= ww }
                for x in 0..<ksize {
                    let v = x < xmax ? k[x] : 0.0
                    weights[xx * ksize + x] = v < 0 ? Int32(-0.5 + v * one) : Int32(0.5 + v * one)
                }
                bounds[2 * xx] = xmin
                bounds[2 * xx + 1] = xmax
            }
            self.ksize = ksize
            self.bounds = bounds
            self.weights = weights
        }
    }

    /// Pillow's clip8: the sum shifted down by PRECISION_BITS, clipped to 0...255.
    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        UInt8(clamping: sum >> precisionBits)
    }

    static func resampleHorizontal(_ image: RGBImage, rows: Range<Int>, coefficients c: Coefficients, outWidth: Int) -> RGBImage {
        let inWidth = image.width
        let outHeight = rows.count
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        let half: Int32 = 1 << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            c.weights.withUnsafeBufferPointer { kk in
                c.bounds.withUnsafeBufferPointer { bounds in
                    out.withUnsafeMutableBufferPointer { dst in
                        for yy in 0..<outHeight {
                            let srcRow = (rows.lowerBound + yy) * inWidth * 3
                            let dstRow = yy * outWidth * 3
                            for xx in 0..<outWidth {
                                let xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1]
                                let k = xx * c.ksize
                                var s0 = half, s1 = half, s2 = half
                                var p = srcRow + xmin * 3
                                for x in 0..<xmax {
                                    let w = kk[k + x]
                                    s0 = s0 &+ Int32(src[p]) &* w
                                    s1 = s1 &+ Int32(src[p + 1]) &* w
                                    s2 = s2 &+ Int32(src[p + 2]) &* w
                                    p += 3
                                }
                                let d = dstRow + xx * 3
                                dst[d] = clip8(s0); dst[d + 1] = clip8(s1); dst[d + 2] = clip8(s2)
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// `image`'s row r is input row `rowOffset + r`; the bounds are in input rows.
    static func resampleVertical(_ image: RGBImage, rowOffset: Int, coefficients c: Coefficients, outHeight: Int) -> RGBImage {
        let rowLength = image.width * 3
        var out = [UInt8](repeating: 0, count: rowLength * outHeight)
        var acc = [Int32](repeating: 0, count: rowLength)
        let half: Int32 = 1 << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            c.weights.withUnsafeBufferPointer { kk in
                out.withUnsafeMutableBufferPointer { dst in
                    acc.withUnsafeMutableBufferPointer { acc in
                        for yy in 0..<outHeight {
                            let ymin = c.bounds[2 * yy] - rowOffset, ymax = c.bounds[2 * yy + 1]
                            let k = yy * c.ksize
                            for i in 0..<rowLength { acc[i] = half }
                            // Channels are independent in the vertical pass, so a row is just
                            // rowLength samples; summing tap by tap gives the same integers
                            // as Pillow's per-pixel loop (wrapping adds are associative).
                            for y in 0..<ymax {
                                let w = kk[k + y]
                                let s = (ymin + y) * rowLength
                                for i in 0..<rowLength { acc[i] = acc[i] &+ Int32(src[s + i]) &* w }
                            }
                            let d = yy * rowLength
                            for i in 0..<rowLength { dst[d + i] = clip8(acc[i]) }
                        }
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: outHeight, pixels: out)
    }
}
