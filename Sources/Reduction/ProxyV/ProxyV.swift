import Tensor

/// ProxyV (arXiv 2505.15816; github.com/penghao-wu/ProxyV, METHODS.md §3): from a chosen LLM
/// layer on, a few proxy tokens per image crop do the vision tokens' attention and FFN work,
/// and a light MLP per layer carries the result back to the full vision tokens.
public enum ProxyV {
    /// Proxy initialisation: each crop's side×side token grid bilinearly resized to
    /// (side/f)×(side/f) with align_corners=False and no antialiasing (torch F.interpolate):
    /// the source coordinate of output o is (o + 0.5)·f − 0.5, clamped at 0. For f = 4 each proxy
    /// is the mean of the centre 2×2 of its 4×4 block.
    /// `full` holds `crops` grids of side² rows each, row stride `cols`.
    public static func downsample(_ full: UnsafePointer<Float>, cols: Int, crops: Int, side: Int, factor: Int,
                                  into output: UnsafeMutablePointer<Float>) {
        let outSide = side / factor
        // (lower index, upper index, weight of upper) per output coordinate, the same on both axes.
        let taps: [(Int, Int, Float)] = (0..<outSide).map { o in
            let source = max((Float(o) + 0.5) * Float(factor) - 0.5, 0)
            let lower = min(Int(source), side - 1)
            let upper = min(lower + 1, side - 1)
            return (lower, upper, source - Float(lower))
        }
        for crop in 0..<crops {
            let grid = full + crop * side * side * cols
            for oy in 0..<outSide {
                let (y0, y1, wy) = taps[oy]
                for ox in 0..<outSide {
                    let (x0, x1, wx) = taps[ox]
                    let target = output + ((crop * outSide + oy) * outSide + ox) * cols
                    let corners: [(Int, Int, Float)] = [(y0, x0, (1 - wy) * (1 - wx)), (y0, x1, (1 - wy) * wx),
                                                        (y1, x0, wy * (1 - wx)), (y1, x1, wy * wx)]
                    for j in 0..<cols { target[j] = 0 }
                    for (y, x, w) in corners where w != 0 {
                        let source = grid + (y * side + x) * cols
                        for j in 0..<cols { target[j] += w * source[j] }
                    }
                }
            }
        }
    }
}

/// ProxyV's non-spatial variant (`learn_proxy`, `ProxyInitializer`): learned queries attend over
/// each crop's full tokens. logits = Pq · (W_k · full)ᵀ / √d_h; proxies = softmax over tokens (logits) · full;
/// the softmax of the transposed logits (over proxies, for each token) is kept to splat the
/// proxies' context back onto the full tokens in every VisionMLP.
public struct LearnedProxyInitializer: Sendable {
    public let wk: Linear       // [d_h, D], no bias
    public let queries: Matrix  // [proxies per crop, d_h]

    public init(weights w: WeightSource, hidden: Int, proxies: Int) throws {
        let dh = hidden >= 1024 ? hidden / 4 : hidden / 2
        wk = try Linear(w, "Wk", out: dh, in: hidden, bias: false)
        queries = try w.matrix("proxyv_tokens", proxies, dh)
    }

    /// Proxies [crops × n, D] into `proxies` and the splat weights [crops × T, n], for `full`
    /// holding `crops` crops of `tokensPerCrop` rows each.
    public func initialise(full: Matrix, crops: Int, tokensPerCrop t: Int, into proxies: UnsafeMutablePointer<Float>) -> Matrix {
        let n = queries.rows, dh = queries.cols, d = full.cols
        let splat = Matrix(rows: crops * t, cols: n)
        let keys = Matrix(rows: t, cols: dh), logits = Matrix(rows: n, cols: t)
        let scale = 1 / Float(dh).squareRoot()
        for crop in 0..<crops {
            let tokens = full.row(crop * t)
            wk.apply(tokens, xStride: d, rows: t, into: keys.data, yStride: dh)
            BLAS.gemmTransposedB(m: n, n: t, k: dh, alpha: scale, a: queries.data, lda: dh, b: keys.data, ldb: dh, c: logits.data, ldc: t)
            for j in 0..<t {  // softmax over the proxies, for each token (before the rows are normalised)
                let row = splat.row(crop * t + j)
                for i in 0..<n { row[i] = logits[i, j] }
                softmaxInPlace(row, count: n)
            }
            for i in 0..<n { softmaxInPlace(logits.row(i), count: t) }
            BLAS.gemm(m: n, n: d, k: t, a: logits.data, lda: t, b: tokens, ldb: d, c: proxies + crop * n * d, ldc: d)
        }
        return splat
    }
}

/// One layer's VisionMLP (`model.vision_mlp_layers.{i}`, spatial variant):
///   c = context_proj(proxy), nearest-upsampled so token (r, c) takes proxy (r/f, c/f)
///   u = input_proj(full)
///   full' = RMSNorm_post(full + proj.2(SiLU(proj.0(concat[u, c]))))
public struct VisionMLP: Sendable {
    public let contextProj: Linear   // [d_i, D]
    public let inputProj: Linear     // [d_i, D]
    public let proj0: Linear         // [d_i, 2·d_i]
    public let proj2: Linear         // [D, d_i]
    public let postNorm: [Float]     // [D]
    public let eps: Float

    public init(weights w: WeightSource, hidden: Int, intermediate: Int, eps: Float) throws {
        contextProj = try Linear(w, "context_proj", out: intermediate, in: hidden, bias: false)
        inputProj = try Linear(w, "input_proj", out: intermediate, in: hidden, bias: false)
        proj0 = try Linear(w, "proj.0", out: intermediate, in: 2 * intermediate, bias: false)
        proj2 = try Linear(w, "proj.2", out: hidden, in: intermediate, bias: false)
        postNorm = try w.vector("layernorm_post.weight", hidden)
        self.eps = eps
    }

    public var intermediate: Int { inputProj.outputs }

    /// Updates `full` (crops × side² rows, in place) from `proxies` (crops × (side/f)² rows).
    /// Each full token takes its grid cell's proxy context (nearest upsampling), or with `splat`
    /// (learned proxies: [crops × side², proxies per crop]) the splat-weighted mix of its crop's.
    public func update(full: Matrix, fullRows: [Int], proxies: Matrix, proxyRows: [Int], side: Int, factor: Int,
                       splat: Matrix? = nil) {
        let n = fullRows.count, p = proxyRows.count, di = intermediate, d = full.cols
        let outSide = side / factor, perCrop = side * side
        let gatheredFull = Matrix(rows: n, cols: d), gatheredProxy = Matrix(rows: p, cols: d)
        for (i, r) in fullRows.enumerated() { gatheredFull.copyRow(i, from: full.row(r)) }
        for (i, r) in proxyRows.enumerated() { gatheredProxy.copyRow(i, from: proxies.row(r)) }

        let context = Matrix(rows: p, cols: di)
        contextProj.apply(gatheredProxy, rows: p, into: context)
        let joined = Matrix(rows: n, cols: 2 * di)  // [u | c] per token
        inputProj.apply(gatheredFull.data, xStride: d, rows: n, into: joined.data, yStride: 2 * di)
        for t in 0..<n {
            let crop = t / perCrop, target = joined.row(t) + di
            if let splat {
                let perCropProxies = splat.cols
                target.update(repeating: 0, count: di)
                for j in 0..<perCropProxies {
                    let weight = splat[t, j]
                    let source = context.row(crop * perCropProxies + j)
                    for k in 0..<di { target[k] += weight * source[k] }
                }
            } else {
                let r = (t % perCrop) / side, c = (t % perCrop) % side
                target.update(from: context.row(crop * outSide * outSide + (r / factor) * outSide + c / factor), count: di)
            }
        }
        let hidden = Matrix(rows: n, cols: di)
        proj0.apply(joined, rows: n, into: hidden)
        Activation.silu.apply(hidden.data, count: n * di)
        let y = Matrix(rows: n, cols: d)
        proj2.apply(hidden, rows: n, into: y)
        addInPlace(y.data, gatheredFull.data, count: n * d)
        Norm.rms(y, rows: n, weight: postNorm, eps: eps, into: y)
        for (i, r) in fullRows.enumerated() { full.copyRow(r, from: y.row(i)) }
    }
}
