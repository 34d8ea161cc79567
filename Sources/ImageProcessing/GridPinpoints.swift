extension AnyResCrops {
    /// `image_grid_pinpoints` given as a string, read as ProxyV's (= LLaVA-NeXT's, commit 4b2fe57)
    /// `process_anyres_image` / `get_anyres_image_grid_shape` read it:
    ///
    /// - with an "x": `re.findall(r"\((\d+)x(\d+)\)", s)`; the first match (a, b) and the last
    ///   (c, d) span every grid (i, j) with a ≤ i ≤ c, b ≤ j ≤ d, in that order (i outer), each
    ///   times `patchSize`: "(1x1),...,(3x3)" is the 9 grids from 1×1 to 3×3. Only the first and
    ///   last matter, so "(2x1),(1x3)" spans nothing (empty; the original then fails). An older
    ///   LLaVA-NeXT (commit 1d523b7) took every listed item instead; this follows ProxyV.
    /// - otherwise `ast.literal_eval` of a list of pairs, e.g. "[(336, 672), (672, 336)]": here,
    ///   the integers in order, taken two by two.
    ///
    /// Throws `ImageError.invalidConfig` when there is no "(AxB)" match, or an odd number of
    /// integers, or a non-positive patch size.
    public static func gridPinpoints(parsing text: String, patchSize: Int) throws -> [[Int]] {
        guard patchSize > 0 else {
            throw ImageError(.invalidConfig, file: "config.json", "patch size must be positive, got \(patchSize)")
        }
        if text.contains("x") {
            let grids = gridMatches(text)
            guard let first = grids.first, let last = grids.last else {
                throw ImageError(.invalidConfig, file: "config.json", "image_grid_pinpoints \"\(text)\" has no (AxB) grid")
            }
            var out: [[Int]] = []
            if first.0 <= last.0 && first.1 <= last.1 {
                for i in first.0...last.0 {
                    for j in first.1...last.1 { out.append([i * patchSize, j * patchSize]) }
                }
            }
            return out
        }
        let numbers = integers(in: Substring(text))
        guard numbers.count % 2 == 0 else {
            throw ImageError(.invalidConfig, file: "config.json", "image_grid_pinpoints \"\(text)\" is not a list of [width, height] pairs")
        }
        return stride(from: 0, to: numbers.count, by: 2).map { [numbers[$0], numbers[$0 + 1]] }
    }

    /// Every "(digits x digits)" in `text`, as `\((\d+)x(\d+)\)` finds them left to right
    /// without overlaps.
    private static func gridMatches(_ text: String) -> [(Int, Int)] {
        let chars = Array(text.utf8)
        var out: [(Int, Int)] = []
        var i = 0
        func digits(from start: Int) -> (value: Int, end: Int)? {
            var j = start, value = 0
            while j < chars.count, chars[j] >= 0x30, chars[j] <= 0x39 {
                value = value &* 10 &+ Int(chars[j] - 0x30)
                j += 1
            }
            return j > start ? (value, j) : nil
        }
        while i < chars.count {
            if chars[i] == UInt8(ascii: "("), let a = digits(from: i + 1), a.end < chars.count, chars[a.end] == UInt8(ascii: "x"),
               let b = digits(from: a.end + 1), b.end < chars.count, chars[b.end] == UInt8(ascii: ")") {
                out.append((a.value, b.value))
                i = b.end + 1
            } else {
                i += 1
            }
        }
        return out
    }

    /// The runs of ASCII digits in `text`, as integers, optionally negative.
    private static func integers(in text: Substring) -> [Int] {
        var out: [Int] = []
        var current: Int?
        var negative = false
        for c in text.utf8 {
            if c >= 0x30 && c <= 0x39 {
                current = (current ?? 0) &* 10 &+ Int(c - 0x30)
            } else {
                if let v = current { out.append(negative ? -v : v) }
                current = nil
                negative = c == UInt8(ascii: "-")
            }
        }
        if let v = current { out.append(negative ? -v : v) }
        return out
    }
}
