import Foundation
import Reduction
import Tensor
import ViT

/// How an image's visual tokens are reduced before (or as) they reach the LLM.
public enum VisualTokenReduction: Sendable {
    case none
    /// DyMU: DToMe merging inside the tower with per-block thresholds; with `virtualUnmerging`
    /// (VTU) the LLM attends as if the unmerged sequence were there.
    case dymu(DyMUThresholds, virtualUnmerging: Bool)
    /// VisionZip: `dominant` tokens (class token included) plus `contextual` merged ones.
    case visionZip(dominant: Int, contextual: Int)
}

extension VisualTokenReduction {
    /// DyMU with VTU: the LLM attends as if every merged token stood at all its positions.
    public var unmergesVirtually: Bool {
        if case let .dymu(_, virtualUnmerging) = self { return virtualUnmerging }
        return false
    }
}

/// One image through the vision tower and the chosen reduction, before the projector.
public struct EncodedImage {
    /// Selected vision features [M, Cv·k].
    public let features: Matrix
    /// With DyMU: for each unmerged feature position (raster order), the row of `features` that
    /// holds it; VTU expands the LLM's attention with it. Nil without merging.
    public let virtualRows: [Int32]?
    /// Tokens after each tower block that ran (DyMU), including the class token.
    public let tokensPerLayer: [Int]
}

extension ImageEncoder {
    /// Runs the tower (to the feature layer only) with `reduction` and selects the features.
    public func encode(pixels: UnsafePointer<Float>, reduction: VisualTokenReduction) throws -> EncodedImage {
        let vision = config.vision
        switch reduction {
        case .none:
            return EncodedImage(features: features(pixels: pixels), virtualRows: nil, tokensPerLayer: [])

        case let .dymu(thresholds, _):
            guard config.featureLayers.count == 1, let featureLayer = config.featureLayers.first else {
                throw EngineError.unsupportedModel("DyMU needs a single vision_feature_layer; this checkpoint concatenates \(config.featureLayers.count)")
            }
            guard thresholds.thresholds.count >= featureLayer else {
                throw EngineError.invalidArgument(
                    "the thresholds file has \(thresholds.thresholds.count) blocks but the tower runs \(featureLayer) to reach its feature layer")
            }
            let merger = DToMeMerger(thresholds: Array(thresholds.thresholds.prefix(featureLayer)),
                                     mergingLayers: Array(thresholds.mergingLayers.prefix(featureLayer)), vision: vision)
            let state = tower.hiddenStates(pixels: pixels, featureLayers: [featureLayer], hooks: merger)[0]
            let skip = droppedClassTokenRows
            let selected = Matrix(rows: state.rows - skip, cols: state.cols)
            selected.data.update(from: state.row(skip), count: selected.count)
            let groups = merger.groups.restricted(to: skip..<vision.tokenCount)
            precondition(groups.count == selected.rows, "merged groups and feature rows disagree")
            return EncodedImage(features: selected, virtualRows: groups.virtualRows, tokensPerLayer: merger.tokenCounts)

        case let .visionZip(dominant, contextual):
            guard config.featureLayers.count == 1, let featureLayer = config.featureLayers.first, featureLayer > 0 else {
                throw EngineError.unsupportedModel("VisionZip needs a single vision_feature_layer after the embeddings")
            }
            let available = vision.tokenCount
            guard dominant + contextual <= available else {
                throw EngineError.invalidArgument(
                    "VisionZip asks for \(dominant) dominant + \(contextual) contextual tokens but the image has only \(available)")
            }
            guard dominant >= (vision.hasClassToken ? 1 : 0), contextual >= 0 else {
                throw EngineError.invalidArgument("VisionZip needs at least one dominant token (the class token) and no negative counts")
            }
            let observer = VisionZipObserver(layer: featureLayer - 1, vision: vision)
            let state = tower.hiddenStates(pixels: pixels, featureLayers: [featureLayer], hooks: observer)[0]
            let selection = VisionZip.select(hidden: state, rows: state.rows, scores: observer.scores, metric: observer.metric,
                                             dominant: dominant, contextual: contextual, keepFirst: vision.hasClassToken)
            return EncodedImage(features: selection.tokens, virtualRows: nil, tokensPerLayer: [])
        }
    }
}

extension VisualTokenReduction {
    /// VisionZip at a budget its paper reports: 64 → 54 + 10, 128 → 108 + 20, 192 → 162 + 30
    /// (dominant + contextual); nil for other budgets.
    public static func visionZip(tokens: Int) -> VisualTokenReduction? {
        VisionZip.split(tokens: tokens).map { .visionZip(dominant: $0.dominant, contextual: $0.contextual) }
    }
}
