import Tensor

// ProxyV (arXiv 2505.15816; github.com/penghao-wu/ProxyV; METHODS.md §3), needs its trained
// modules: from a start layer on, vision tokens skip attention queries and FFNs, proxy tokens do
// that work, and a light MLP per layer updates the vision tokens. Where it touches the engine:
//   Reduction/ProxyV/ProxyV.swift            proxies by bilinear downsampling (get_image_proxy)
//   Reduction/ProxyV/LearnedProxyInitializer.swift   the non-spatial variant (ProxyInitializer)
//   Reduction/ProxyV/VisionMLP.swift         the per-layer update of the vision tokens (VisionMLP)
//   LLM/ProxyV/ProxyVModules.swift           the checkpoint's modules (vision_mlp_layers.*, image_newline)
//   LLM/ProxyV/ProxyVLayers.swift            its layers: a row plan plus the two steps above
//                                            (llava_llama.py's ProxyV decoder layers and masks)
//   Engine/Pipeline/InputAssembly.swift      a newline row after each crop
//   Engine/Measure/FLOPs.swift (ProxyVReport)  what it saved

/// ProxyV's functions of the vision tokens themselves (the rest is listed above).
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
