import Reduction
import Tensor

/// A ProxyV checkpoint's extra parts (METHODS.md §3): from `startLayer` on, vision tokens are
/// keys and values only; per crop, (side/f)² proxy tokens run the full layer, and one
/// VisionMLP per layer carries their result back to the vision tokens.
public struct ProxyVModules: Sendable {
    public let startLayer: Int
    public let reduceFactor: Int
    /// Vision tokens per crop (a square grid: 576 = 24 × 24).
    public let tokensPerCrop: Int
    public let visionMLPs: [VisionMLP]     // one per layer from startLayer on
    public let imageNewline: [Float]       // [D], appended after each crop
    /// The non-spatial variant (`learn_proxy`): learned queries instead of bilinear downsampling.
    public let learnedProxies: LearnedProxyInitializer?

    /// Loads `vision_mlp_layers.{i}.*` and `image_newline` from `weights`.
    public init(config: TextConfig, weights: WeightSource, startLayer: Int, reduceFactor: Int, tokensPerCrop: Int,
                learnProxy: Bool = false) throws {
        let d = config.hiddenSize
        let side = Int(Double(tokensPerCrop).squareRoot())
        guard startLayer >= 0, startLayer < config.layerCount else {
            throw CheckpointError.invalid("proxyv_start_layer \(startLayer) is outside the model's \(config.layerCount) layers")
        }
        guard side * side == tokensPerCrop, reduceFactor > 0, side % reduceFactor == 0 else {
            throw CheckpointError.invalid("per_crop_token_len \(tokensPerCrop) and proxyv_reduce_factor \(reduceFactor) do not make a square proxy grid")
        }
        self.startLayer = startLayer
        self.reduceFactor = reduceFactor
        self.tokensPerCrop = tokensPerCrop
        // d_i = D/4 for D ≥ 1024, else D/2 (ProxyV's VisionMLP constructor).
        let intermediate = d >= 1024 ? d / 4 : d / 2
        visionMLPs = try (startLayer..<config.layerCount).map { layer in
            try VisionMLP(weights: weights.scoped("vision_mlp_layers.\(layer - startLayer)"), hidden: d,
                          intermediate: intermediate, eps: config.rmsNormEps)
        }
        imageNewline = try weights.vector("image_newline", d)
        learnedProxies = learnProxy
            ? try LearnedProxyInitializer(weights: weights.scoped("proxyv_initializer"), hidden: d,
                                          proxies: tokensPerCrop / (reduceFactor * reduceFactor))
            : nil
    }

    public var gridSide: Int { Int(Double(tokensPerCrop).squareRoot()) }
    public var proxiesPerCrop: Int { (gridSide / reduceFactor) * (gridSide / reduceFactor) }
}
