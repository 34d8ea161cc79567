import Projector
import Tensor
import ViT

/// Pixel values → LLM-width image embeddings: the vision tower up to the feature layer, LLaVA's
/// feature selection, and the projector (transformers' LlavaModel.get_image_features).
public final class ImageEncoder: @unchecked Sendable {
    let config: LlavaConfig
    public let tower: VisionTower
    public let projector: MultiModalProjector

    init(config: LlavaConfig, vision: WeightSource, projector projectorWeights: WeightSource, textWidth: Int) throws {
        self.config = config
        tower = try VisionTower(config: config.vision, weights: vision, layerCount: config.featureLayers.max())
        projector = try MultiModalProjector(
            weights: projectorWeights, inputs: config.vision.hiddenSize * config.featureLayers.count,
            outputs: textWidth, activation: config.projectorActivation, bias: config.projectorBias,
            names: config.projectorNames)
    }

    public var vision: VisionConfig { config.vision }

    /// Leading rows LLaVA's feature selection drops: the class token, unless the strategy is
    /// `full` (transformers' `vision_feature_select_strategy`). The one rule for every method.
    var droppedClassTokenRows: Int { config.vision.hasClassToken && !config.keepClassToken ? 1 : 0 }

    /// The selected feature-layer hidden states, [M, Cv·k]: the class token dropped unless the
    /// strategy is `full`, several feature layers concatenated along the channels.
    public func features(pixels: UnsafePointer<Float>) -> Matrix {
        let states = tower.hiddenStates(pixels: pixels, featureLayers: config.featureLayers)
        let skip = droppedClassTokenRows
        let c = config.vision.hiddenSize
        let rows = config.vision.tokenCount - skip
        let selected = Matrix(rows: rows, cols: c * states.count)
        for (k, state) in states.enumerated() {
            for r in 0..<rows {
                (selected.row(r) + k * c).update(from: state.row(r + skip), count: c)
            }
        }
        return selected
    }

    public func project(_ features: Matrix) -> Matrix { projector(features, rows: features.rows) }
}
