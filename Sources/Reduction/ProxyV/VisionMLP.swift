import Tensor

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
