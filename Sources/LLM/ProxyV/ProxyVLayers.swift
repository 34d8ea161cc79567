import Reduction
import Tensor

/// ProxyV inside the decoder (METHODS.md §3(a)): a row plan for its layers plus its two steps.
///
/// The sequence stays in its natural order [text before, crop₀, newline, crop₁, newline, …,
/// text after] (§3(d).7: only positions and masks matter), so the cache ends up in the order a
/// plain model would have. Before the start layer every row runs plainly. At the start layer
/// the proxies join the stream after the last row, made from the image rows entering it
/// (`beforeLayer`); from then on image rows are keys and values only, proxies and text ask the
/// queries and run the MLP, and after each layer the image rows follow the updated proxies
/// through that layer's VisionMLP (`afterLayer`). The proxies' cache rows are dropped after the
/// prefill, so decoding afterwards is ordinary.
final class ProxyVLayers: DecoderLayerHooks {
    /// Key and query groups of ProxyV's mask.
    private enum Group: UInt8 { case text = 0, image = 1, proxy = 2 }

    /// Text (and newline) queries may see text and image keys; proxy queries may see text and
    /// proxy keys; image rows ask no queries.
    private static let allowedGroups: UInt16 =
        1 << (0 * 4 + 0) | 1 << (0 * 4 + 1) | 1 << (2 * 4 + 0) | 1 << (2 * 4 + 2)

    let modules: ProxyVModules
    /// Layers before the start layer: every row plainly.
    let plainPlan: RowPlan
    /// The start layer on: the proxies after the last row, image rows as keys only.
    let proxyPlan: RowPlan
    let imageRows: [Int]
    let proxyRows: [Int]
    let crops: Int
    /// Learned proxies: how each image token mixes its crop's proxies in every VisionMLP.
    private var splat: Matrix?

    /// `rows` rows at `positions` whose image crops (each `tokensPerCrop` rows of a square grid,
    /// raster order) start at rows `imageCrops`; the cache must be empty.
    init(_ modules: ProxyVModules, cache: KVCache, rows n: Int, positions: [Int32], imageCrops: [Int]) {
        precondition(positions.count == n && cache.count == 0, "ProxyV prefill starts an empty cache")
        self.modules = modules
        crops = imageCrops.count
        imageRows = imageCrops.flatMap { $0..<($0 + modules.tokensPerCrop) }
        let proxyCount = crops * modules.proxiesPerCrop
        proxyRows = Array(n..<(n + proxyCount))
        var isImage = [Bool](repeating: false, count: n)
        for r in imageRows { isImage[r] = true }
        // Proxies reuse the positions of the first image tokens.
        let firstImagePosition = imageRows.map { positions[$0] }.min() ?? 0
        let allPositions = positions + (0..<proxyCount).map { firstImagePosition + Int32($0) }
        let activeRows = (0..<Int32(n + proxyCount)).filter { $0 >= n || !isImage[Int($0)] }
        let keyGroups = (0..<(n + proxyCount)).map { r in (r >= n ? Group.proxy : isImage[r] ? Group.image : Group.text).rawValue }
        let groups = AttentionGroups(queryGroups: activeRows.map { Int($0) >= n ? Group.proxy.rawValue : Group.text.rawValue },
                                     keyGroups: keyGroups, allowed: Self.allowedGroups)
        plainPlan = .plain(cache: cache, rows: n, positions: positions)
        proxyPlan = RowPlan(streamRows: n + proxyCount, activeRows: activeRows) { activeIndex in
            [.init(cache: cache, keyRows: (0..<Int32(n + proxyCount)).map { $0 }, positions: allPositions,
                   queries: activeRows, keptKeys: n, logitsRow: n - 1, groups: groups, activeIndex: activeIndex)]
        }
    }

    func rowPlan(layer index: Int) -> RowPlan? { index >= modules.startLayer ? proxyPlan : nil }

    /// At the start layer: the proxies, from the image rows entering it.
    func beforeLayer(_ index: Int, stream x: Matrix) {
        guard index == modules.startLayer else { return }
        let grid = Matrix(rows: imageRows.count, cols: x.cols)
        for (i, r) in imageRows.enumerated() { grid.copyRow(i, from: x.row(r)) }
        let proxies = x.row(proxyRows[0])
        if let learned = modules.learnedProxies {
            splat = learned.initialise(full: grid, crops: crops, tokensPerCrop: modules.tokensPerCrop, into: proxies)
        } else {
            ProxyV.downsample(grid.data, cols: x.cols, crops: crops, side: modules.gridSide, factor: modules.reduceFactor, into: proxies)
        }
    }

    /// After each ProxyV layer: the image rows follow the updated proxies through its VisionMLP.
    func afterLayer(_ index: Int, stream x: Matrix) {
        guard index >= modules.startLayer else { return }
        modules.visionMLPs[index - modules.startLayer].update(full: x, fullRows: imageRows, proxies: x, proxyRows: proxyRows,
                                                               side: modules.gridSide, factor: modules.reduceFactor, splat: splat)
    }
}
