import Tensor

/// A CLIP or SigLIP vision tower (transformers' CLIPVisionTransformer / SiglipVisionTransformer)
/// that stops at the deepest layer a caller needs: layers after the feature layer are never run.
///
/// Hidden-state indices follow transformers' `hidden_states` tuple: index 0 is the embeddings
/// (after CLIP's `pre_layrnorm`), index i is the output of encoder layer i − 1. The post-layernorm
/// and SigLIP's attention-pool head only serve the pooled output, which LLaVA never uses.
public final class VisionTower: @unchecked Sendable {
    public let config: VisionConfig
    let patchEmbedding: Linear          // [C, 3·p·p] (the conv kernel flattened); bias only in SigLIP
    let classEmbedding: [Float]?        // [C] (CLIP)
    let positionEmbedding: Matrix       // [tokens, C]
    let preNormWeight: [Float]?, preNormBias: [Float]?  // [C] (CLIP's pre_layrnorm)
    public let layers: [VisionEncoderLayer]

    // Run buffers, allocated once for the tower's token count.
    let x: Matrix, normed: Matrix, q: Matrix, k: Matrix, v: Matrix, attended: Matrix, hidden: Matrix
    let patches: Matrix
    let scores: UnsafeMutablePointer<Float>

    /// Loads `embeddings.*`, `pre_layrnorm.*` and `encoder.layers.{i}.*` for the first `layerCount` layers.
    public init(config: VisionConfig, weights w: WeightSource, layerCount: Int? = nil) throws {
        self.config = config
        let c = config.hiddenSize, p = config.patchSize
        let kernel = try w.flattened("embeddings.patch_embedding.weight", shape: [c, config.channels, p, p])
        patchEmbedding = Linear(weight: kernel,
                                bias: config.hasClassToken ? nil : try w.vector("embeddings.patch_embedding.bias", c))
        classEmbedding = config.hasClassToken ? try w.vector("embeddings.class_embedding", c) : nil
        positionEmbedding = try w.matrix("embeddings.position_embedding.weight", config.tokenCount, c)
        if config.hasClassToken {
            preNormWeight = try w.vector("pre_layrnorm.weight", c)
            preNormBias = try w.vector("pre_layrnorm.bias", c)
        } else {
            preNormWeight = nil
            preNormBias = nil
        }
        let count = min(layerCount ?? config.layerCount, config.layerCount)
        layers = try (0..<count).map { try VisionEncoderLayer(config: config, weights: w.scoped("encoder.layers.\($0)")) }

        let n = config.tokenCount
        x = Matrix(rows: n, cols: c)
        normed = Matrix(rows: n, cols: c)
        q = Matrix(rows: n, cols: c)
        k = Matrix(rows: n, cols: c)
        v = Matrix(rows: n, cols: c)
        attended = Matrix(rows: n, cols: c)
        hidden = Matrix(rows: n, cols: config.intermediateSize)
        patches = Matrix(rows: config.patchCount, cols: config.channels * p * p)
        let shape = AttentionShape(heads: config.headCount, kvHeads: config.headCount, headDim: config.headDim)
        scores = .allocate(capacity: attentionScratchCount(shape: shape, queryCount: n, keyCount: n))
    }

    deinit { scores.deallocate() }

    /// Runs the tower on `pixels` ([channels, imageSize, imageSize], CHW) and returns the hidden
    /// states at each index of `featureLayers` (transformers' `hidden_states` indices, 0…L),
    /// computing no layer beyond the deepest one asked for. Each is [tokens, C], with fewer
    /// tokens when `hooks` merge some.
    public func hiddenStates(pixels: UnsafePointer<Float>, featureLayers: [Int], hooks: VisionBlockHooks? = nil) -> [Matrix] {
        let deepest = featureLayers.max() ?? 0
        precondition(deepest <= layers.count, "feature layer \(deepest) beyond the \(layers.count) loaded layers")
        var n = config.tokenCount
        var captured: [Int: Matrix] = [:]
        func capture(_ index: Int) {
            guard featureLayers.contains(index), captured[index] == nil else { return }
            let copy = Matrix(rows: n, cols: config.hiddenSize)
            copy.data.update(from: x.data, count: n * config.hiddenSize)
            captured[index] = copy
        }
        embed(pixels)
        capture(0)
        for (index, layer) in layers.prefix(deepest).enumerated() {
            n = run(layer, index: index, rows: n, hooks: hooks)
            capture(index + 1)
        }
        return featureLayers.map { captured[$0]! }
    }

    /// Patch embedding (a stride-p convolution as one GEMM over unfolded patches), class token,
    /// position embeddings, and CLIP's pre-layernorm, into `x`.
    func embed(_ pixels: UnsafePointer<Float>) {
        let p = config.patchSize, side = config.patchesPerSide, size = config.imageSize
        for py in 0..<side {
            for px in 0..<side {
                let row = patches.row(py * side + px)
                var column = 0
                for channel in 0..<config.channels {
                    for ky in 0..<p {
                        let source = pixels + channel * size * size + (py * p + ky) * size + px * p
                        (row + column).update(from: source, count: p)
                        column += p
                    }
                }
            }
        }
        let first = config.hasClassToken ? 1 : 0
        patchEmbedding.apply(patches.data, xStride: patches.cols, rows: config.patchCount,
                             into: x.row(first), yStride: config.hiddenSize)
        if let classEmbedding { x.copyRow(0, from: classEmbedding) }
        addInPlace(x.data, positionEmbedding.data, count: config.tokenCount * config.hiddenSize)
        if let preNormWeight, let preNormBias {
            Norm.layer(x, rows: config.tokenCount, weight: preNormWeight, bias: preNormBias, eps: config.layerNormEps, into: x)
        }
    }

    /// One encoder block on the first `n` rows of `x`; returns the row count after any merge.
    func run(_ layer: VisionEncoderLayer, index: Int, rows: Int, hooks: VisionBlockHooks?) -> Int {
        attentionHalf(index, x: x, rows: rows, keyBias: hooks?.keyBias(layer: index, rows: rows),
                      probabilities: hooks?.attentionObserver(layer: index, rows: rows))
        let n = hooks?.afterAttention(layer: index, hidden: x, rows: rows, keys: k) ?? rows
        mlpHalf(index, x: x, rows: n)
        return n
    }

    /// The tokens of `pixels` after the embeddings (and CLIP's pre-layernorm), as a new matrix.
    func embeddings(pixels: UnsafePointer<Float>) -> Matrix {
        embed(pixels)
        let copy = Matrix(rows: config.tokenCount, cols: config.hiddenSize)
        copy.data.update(from: x.data, count: copy.count)
        return copy
    }

    /// x = x + attention(layer_norm1(x)) for block `index` on the first `n` rows of `x` (any
    /// matrix: batch-level calibration keeps one per image). Returns the block's key projections
    /// [n, C] (bias included), valid until the next call.
    @discardableResult
    func attentionHalf(_ index: Int, x: Matrix, rows n: Int, keyBias: UnsafePointer<Float>?,
                              probabilities: ((Int, UnsafePointer<Float>) -> Void)? = nil) -> Matrix {
        let layer = layers[index], c = config.hiddenSize, eps = config.layerNormEps
        Norm.layer(x, rows: n, weight: layer.norm1Weight, bias: layer.norm1Bias, eps: eps, into: normed)
        layer.qProj.apply(normed, rows: n, into: q)
        layer.kProj.apply(normed, rows: n, into: k)
        layer.vProj.apply(normed, rows: n, into: v)
        let shape = AttentionShape(heads: config.headCount, kvHeads: config.headCount, headDim: config.headDim)
        attention(shape: shape, queries: q.data, queryStride: c, queryCount: n,
                  keys: k.data, values: v.data, kvStride: c, keyCount: n,
                  mask: .none, keyBias: keyBias,
                  output: attended.data, outputStride: c, scores: scores, probabilities: probabilities)
        layer.outProj.apply(attended, rows: n, into: normed)
        addInPlaceParallel(x.data, normed.data, count: n * c)
        return k
    }

    /// x = x + fc2(act(fc1(layer_norm2(x)))) for block `index` on the first `n` rows of `x`.
    func mlpHalf(_ index: Int, x: Matrix, rows n: Int) {
        let layer = layers[index], c = config.hiddenSize
        Norm.layer(x, rows: n, weight: layer.norm2Weight, bias: layer.norm2Bias, eps: config.layerNormEps, into: normed)
        layer.fc1.apply(normed, rows: n, into: hidden)
        config.hiddenAct.apply(hidden.data, count: n * config.intermediateSize)
        layer.fc2.apply(hidden, rows: n, into: normed)
        addInPlaceParallel(x.data, normed.data, count: n * c)
    }
}
