import Tensor

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
