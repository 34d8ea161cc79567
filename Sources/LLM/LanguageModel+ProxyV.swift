import Reduction
import Tensor

/// ProxyV prefill (METHODS.md §3(a)). The sequence stays in its natural order
/// [text before, crop₀, newline, crop₁, newline, …, text after]: only positions and masks
/// matter (§3(d).7), so the cache ends up in the order a plain model would have.
extension LanguageModel {
    /// Key/query groups of the ProxyV mask.
    private enum Group: UInt8 { case text = 0, image = 1, proxy = 2 }

    /// Text (and newline) queries may see text and image keys; proxy queries may see text and
    /// proxy keys; image rows make no queries.
    private static let allowedGroups: UInt16 =
        1 << (0 * 4 + 0) | 1 << (0 * 4 + 1) | 1 << (2 * 4 + 0) | 1 << (2 * 4 + 2)

    /// Runs a prefill of `n` rows whose image crops start at rows `crops` (each `tokensPerCrop`
    /// rows of a square grid, raster order) with ProxyV from its start layer on. The cache must
    /// have room for n + proxies rows: proxy keys and values live past the end during prefill and
    /// are dropped after it, so later decode steps are ordinary.
    @discardableResult
    public func forwardProxyV(
        embeddings: UnsafePointer<Float>, rows n: Int, positions: [Int32], crops: [Int], cache: KVCache,
        everyRow: Matrix? = nil,
        observeProxies: ((Int, Matrix, [Int]) -> Void)? = nil
    ) throws -> [Float] {
        guard let proxyV else { preconditionFailure("forwardProxyV on a model without ProxyV modules") }
        precondition(positions.count == n && cache.count == 0, "ProxyV prefill starts an empty cache")
        let c = config, ws = workspace, d = c.hiddenSize
        let side = proxyV.gridSide, factor = proxyV.reduceFactor
        let imageRows = crops.flatMap { $0..<($0 + proxyV.tokensPerCrop) }
        let proxyCount = crops.count * proxyV.proxiesPerCrop
        let proxyRows = Array(n..<(n + proxyCount))
        var isImage = [Bool](repeating: false, count: n)
        for r in imageRows { isImage[r] = true }
        let textRows = (0..<n).filter { !isImage[$0] }
        // Proxies reuse the positions of the first image tokens.
        let firstImagePosition = imageRows.map { positions[$0] }.min() ?? 0
        let allPositions = positions + (0..<proxyCount).map { firstImagePosition + Int32($0) }
        let activeRows = textRows + proxyRows  // rows that make queries in ProxyV layers
        let activePositions = activeRows.map { allPositions[$0] }
        let keyGroups = (0..<(n + proxyCount)).map { r in
            (r >= n ? Group.proxy : isImage[r] ? Group.image : Group.text).rawValue
        }
        let queryGroups = activeRows.map { $0 >= n ? Group.proxy.rawValue : Group.text.rawValue }

        ws.reserve(rows: n + proxyCount)
        let x = ws.x, normed = ws.normed
        x.data.update(from: embeddings, count: n * d)
        try allPositions.withUnsafeBufferPointer { try cache.reserve(positions: $0.baseAddress!, rows: $0.count) }
        var splat: Matrix?   // learned proxies: how each full token mixes its crop's proxies
        let active = Matrix(rows: activeRows.count, cols: d)   // gathered rows of the active set
        let activeOut = Matrix(rows: activeRows.count, cols: d)

        for (index, layer) in layers.enumerated() {
            if index < proxyV.startLayer {
                positions.withUnsafeBufferPointer { run(layer, index: index, rows: n, positions: $0, expansion: nil, cache: cache) }
                continue
            }
            if index == proxyV.startLayer {
                // Proxies from the image tokens entering the start layer.
                let grid = Matrix(rows: imageRows.count, cols: d)
                for (i, r) in imageRows.enumerated() { grid.copyRow(i, from: x.row(r)) }
                if let learned = proxyV.learnedProxies {
                    splat = learned.initialise(full: grid, crops: crops.count, tokensPerCrop: proxyV.tokensPerCrop, into: x.row(n))
                } else {
                    ProxyV.downsample(grid.data, cols: d, crops: crops.count, side: side, factor: factor, into: x.row(n))
                }
                observeProxies?(-1, x, proxyRows)
            }
            let keys = cache.keys[index], values = cache.values[index]
            let total = n + proxyCount

            // Keys and values from every row (text, image, proxies); queries from text and proxies only.
            Norm.rms(x, rows: total, weight: layer.inputNorm, eps: c.rmsNormEps, into: normed)
            layer.kProj.apply(normed.data, xStride: d, rows: total, into: keys.data, yStride: c.kvDim)
            layer.vProj.apply(normed.data, xStride: d, rows: total, into: values.data, yStride: c.kvDim)
            for (i, r) in activeRows.enumerated() { active.copyRow(i, from: normed.row(r)) }
            layer.qProj.apply(active, rows: activeRows.count, into: ws.q)
            activePositions.withUnsafeBufferPointer { rope.apply(ws.q.data, stride: c.qDim, rows: $0.count, heads: c.headCount, positions: $0.baseAddress!) }
            allPositions.withUnsafeBufferPointer { rope.apply(keys.data, stride: c.kvDim, rows: total, heads: c.kvHeadCount, positions: $0.baseAddress!) }
            activePositions.withUnsafeBufferPointer { queryPositions in
                queryGroups.withUnsafeBufferPointer { queryGroupPointer in
                    keyGroups.withUnsafeBufferPointer { keyGroupPointer in
                        attention(shape: AttentionShape(heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim),
                                  queries: ws.q.data, queryStride: c.qDim, queryCount: activeRows.count,
                                  keys: keys.data, values: values.data, kvStride: c.kvDim, keyCount: total,
                                  mask: .causalGroups(queryPositions: queryPositions.baseAddress!, keyPositions: cache.positions,
                                                      queryGroups: queryGroupPointer.baseAddress!, keyGroups: keyGroupPointer.baseAddress!,
                                                      allowed: Self.allowedGroups),
                                  output: ws.attended.data, outputStride: c.qDim,
                                  scores: ws.scores(count: attentionScratchCount(shape: AttentionShape(heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim), queryCount: activeRows.count, keyCount: total)))
                    }
                }
            }
            layer.oProj.apply(ws.attended, rows: activeRows.count, into: activeOut)
            for (i, r) in activeRows.enumerated() { addInPlace(x.row(r), activeOut.row(i), count: d) }

            // MLP for the active rows only.
            for (i, r) in activeRows.enumerated() { active.copyRow(i, from: x.row(r)) }
            Norm.rms(active, rows: activeRows.count, weight: layer.postAttentionNorm, eps: c.rmsNormEps, into: activeOut)
            mlp(layer, input: activeOut, rows: activeRows.count, into: activeOut)
            for (i, r) in activeRows.enumerated() { addInPlace(x.row(r), activeOut.row(i), count: d) }

            // The vision tokens follow the updated proxies through this layer's VisionMLP.
            observeProxies?(index, x, proxyRows)
            proxyV.visionMLPs[index - proxyV.startLayer].update(full: x, fullRows: imageRows, proxies: x, proxyRows: proxyRows,
                                                               side: side, factor: factor, splat: splat)
        }
        cache.commit(rows: n)  // the proxy rows past n are dropped

        Norm.rms(x, rows: n, weight: finalNorm, eps: c.rmsNormEps, into: normed)
        if let everyRow { lmHead.apply(normed.data, xStride: d, rows: n, into: everyRow.data, yStride: everyRow.cols) }
        var logits = [Float](repeating: 0, count: c.vocabSize)
        logits.withUnsafeMutableBufferPointer {
            lmHead.apply(normed.row(n - 1), xStride: d, rows: 1, into: $0.baseAddress!, yStride: c.vocabSize)
        }
        return logits
    }
}
