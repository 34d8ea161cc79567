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

    static func find(_ store: TensorStore, _ prefixes: [String], probe: String) throws -> WeightSource {
        for prefix in prefixes where store.contains(prefix + probe) {
            return WeightSource(store: store, prefix: prefix)
        }
        throw CheckpointError.missingTensor(key: prefixes.map { $0 + probe }.joined(separator: "' or '"), in: store.directory)
    }

    /// The original LLaVA repository's layout: `model.*` decoder, `lm_head.*`, `model.mm_projector.*`,
    /// and a separate CLIP checkpoint (CLIPVisionModel or CLIPModel: `vision_model.*`).
    init(originalStore store: TensorStore, visionStore: TensorStore) throws {
        text = try Self.find(store, ["model."], probe: "embed_tokens.weight")
        lmHead = WeightSource(store: store, prefix: "lm_head.")
        projector = try Self.find(store, ["model.mm_projector."], probe: store.contains("model.mm_projector.0.weight") ? "0.weight" : "weight")
        vision = try Self.find(visionStore, ["vision_model.", ""], probe: "embeddings.patch_embedding.weight")
    }

    init(store: TensorStore, hasVision: Bool) throws {
        text = try Self.find(store, Self.textPrefixes, probe: "embed_tokens.weight")
        lmHead = Self.headPrefixes.first { store.contains($0 + "weight") }
            .map { WeightSource(store: store, prefix: $0) } ?? WeightSource(store: store, prefix: Self.headPrefixes[0])
        if hasVision {
            vision = try Self.find(store, Self.visionPrefixes, probe: "embeddings.patch_embedding.weight")
            projector = try Self.find(store, Self.projectorPrefixes, probe: "linear_1.weight")
        } else {
            vision = nil
            projector = nil
        }
    }
}
