import LLM
import ViT

/// Floating-point operations of each stage, computed from the shapes (a multiply-add counts 2).
/// Attention counts the full score matrices the engine computes (causal masking does not skip work).
public enum FLOPs {
    /// One decoder layer with `queries` query rows attending over `keys` rows, `rows` rows through
    /// the projections and MLP.
    public static func decoderLayer(_ c: TextConfig, rows: Int, queries: Int, keys: Int) -> Double {
        let d = Double(c.hiddenSize), q = Double(c.qDim), kv = Double(c.kvDim), i = Double(c.intermediateSize)
        let projections = 2 * Double(rows) * d * (q + 2 * kv) + 2 * Double(rows) * q * d
        let attention = 4 * Double(queries) * Double(keys) * q
        let mlp = 6 * Double(rows) * d * i
        return projections + attention + mlp
    }

    /// A plain prefill of `rows` rows (attention over `virtualRows` with VTU), plus the LM head for one row.
    public static func prefill(_ c: TextConfig, rows: Int, virtualRows: Int? = nil) -> Double {
        let attended = virtualRows ?? rows
        return Double(c.layerCount) * decoderLayer(c, rows: rows, queries: attended, keys: attended) + lmHead(c)
    }

    public static func lmHead(_ c: TextConfig) -> Double { 2 * Double(c.hiddenSize) * Double(c.vocabSize) }

    /// A ProxyV layer: keys/values for every row, queries, attention output and MLP for the
    /// `active` rows (text, newlines, proxies), and the VisionMLP for the `image` rows.
    public static func proxyVLayer(_ c: TextConfig, rows: Int, image: Int, proxies: Int, intermediate di: Int) -> Double {
        let d = Double(c.hiddenSize), q = Double(c.qDim), kv = Double(c.kvDim), i = Double(c.intermediateSize)
        let all = Double(rows + proxies), active = Double(rows - image + proxies), f = Double(image), p = Double(proxies)
        let keysValues = 2 * all * d * 2 * kv
        let queriesOutput = 2 * active * d * q * 2
        let attention = 4 * active * all * q
        let mlp = 6 * active * d * i
        let visionMLP = 2 * f * d * Double(di) + 2 * p * d * Double(di) + 2 * f * 2 * Double(di) * Double(di) + 2 * f * Double(di) * d
        return keysValues + queriesOutput + attention + mlp + visionMLP
    }

    /// One vision-tower block: attention over `tokens` tokens, the MLP over `after` (fewer when DToMe merged).
    public static func visionLayer(_ v: VisionConfig, tokens: Int, after: Int? = nil) -> Double {
        let n = Double(tokens), m = Double(after ?? tokens), c = Double(v.hiddenSize), i = Double(v.intermediateSize)
        return 2 * n * c * c * 4 + 4 * n * n * c + 4 * m * c * i
    }

    /// The tower up to its feature layer: `blocks` blocks, with the token count after each block when merging.
    public static func visionTower(_ v: VisionConfig, blocks: Int, tokensAfter: [Int]? = nil) -> Double {
        var total = patchEmbedding(v), tokens = v.tokenCount
        for block in 0..<blocks {
            let after = tokensAfter.flatMap { block < $0.count ? $0[block] : nil } ?? tokens
            total += visionLayer(v, tokens: tokens, after: after)
            tokens = after
        }
        return total
    }

    /// One decode step at cache length `cacheLength`: every weight once, attention over the cache.
    public static func decodeStep(_ c: TextConfig, cacheLength: Int) -> Double {
        Double(c.layerCount) * decoderLayer(c, rows: 1, queries: 1, keys: cacheLength) + lmHead(c)
    }

    /// The patch embedding (a convolution as one GEMM).
    public static func patchEmbedding(_ v: VisionConfig) -> Double {
        2 * Double(v.patchCount) * Double(v.hiddenSize) * Double(v.channels * v.patchSize * v.patchSize)
    }

    /// The two projector layers for `rows` features.
    public static func projector(inputs: Int, outputs: Int, rows: Int) -> Double {
        2 * Double(rows) * Double(outputs) * Double(inputs + outputs)
    }
}

/// What ProxyV did in one prefill: which layers ran it and the FLOPs it saved.
public struct ProxyVReport: Sendable, Encodable {
    public let startLayer: Int
    public let layers: [Int]
    public let proxies: Int
    public let prefillFLOPs: Double
    public let plainPrefillFLOPs: Double

    public var savedFraction: Double { plainPrefillFLOPs > 0 ? 1 - prefillFLOPs / plainPrefillFLOPs : 0 }

    enum CodingKeys: String, CodingKey {
        case startLayer = "start_layer", layers, proxies
        case prefillFLOPs = "prefill_flops", plainPrefillFLOPs = "plain_prefill_flops", savedFraction = "saved_fraction"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(startLayer, forKey: .startLayer)
        try c.encode(layers, forKey: .layers)
        try c.encode(proxies, forKey: .proxies)
        try c.encode(prefillFLOPs, forKey: .prefillFLOPs)
        try c.encode(plainPrefillFLOPs, forKey: .plainPrefillFLOPs)
        try c.encode(savedFraction, forKey: .savedFraction)
    }

    init(model: LanguageModel, input: PreparedInput) {
        let c = model.config
        let proxyV = model.proxyV!
        let crops = input.imageCrops
        let n = input.rows, image = crops.count * proxyV.tokensPerCrop, p = crops.count * proxyV.proxiesPerCrop
        startLayer = proxyV.startLayer
        layers = Array(proxyV.startLayer..<c.layerCount)
        proxies = p
        let plainLayer = FLOPs.decoderLayer(c, rows: n, queries: n, keys: n)
        let proxyLayer = FLOPs.proxyVLayer(c, rows: n, image: image, proxies: p, intermediate: proxyV.visionMLPs.first?.intermediate ?? 0)
        plainPrefillFLOPs = Double(c.layerCount) * plainLayer + FLOPs.lmHead(c)
        prefillFLOPs = Double(proxyV.startLayer) * plainLayer + Double(layers.count) * proxyLayer + FLOPs.lmHead(c)
    }
}
