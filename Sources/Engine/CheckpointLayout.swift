import Tensor

/// Where each part's tensors live in a checkpoint. Key layouts differ by transformers version
/// (see DESIGN.md); all of these name the same tensors, so each part is found by probing for
/// one tensor it must have under each known prefix, and then looked up under that prefix
/// (a later missing key is reported with the full name the file would use).
struct CheckpointLayout {
    let text: WeightSource
    let lmHead: WeightSource
    let vision: WeightSource?
    let projector: WeightSource?

    static let textPrefixes = ["model.language_model.", "language_model.model.", "model.", ""]
    static let headPrefixes = ["lm_head.", "language_model.lm_head."]
    static let visionPrefixes = ["model.vision_tower.vision_model.", "vision_tower.vision_model.", "model.vision_tower.", "vision_tower."]
    static let projectorPrefixes = ["model.multi_modal_projector.", "multi_modal_projector."]

    init(store: TensorStore, hasVision: Bool) throws {
        func find(_ prefixes: [String], probe: String, part: String) throws -> WeightSource {
            for prefix in prefixes where store.contains(prefix + probe) {
                return WeightSource(store: store, prefix: prefix)
            }
            throw CheckpointError.missingTensor(
                key: prefixes.map { $0 + probe }.joined(separator: "' or '"), in: store.directory)
        }
        text = try find(Self.textPrefixes, probe: "embed_tokens.weight", part: "language model")
        lmHead = Self.headPrefixes.first { store.contains($0 + "weight") }
            .map { WeightSource(store: store, prefix: $0) } ?? WeightSource(store: store, prefix: Self.headPrefixes[0])
        if hasVision {
            vision = try find(Self.visionPrefixes, probe: "embeddings.patch_embedding.weight", part: "vision tower")
            projector = try find(Self.projectorPrefixes, probe: "linear_1.weight", part: "projector")
        } else {
            vision = nil
            projector = nil
        }
    }
}
