import Tensor

/// A LLaMA / Qwen2 decoder with a KV cache (transformers' LlamaForCausalLM / Qwen2ForCausalLM).
///
/// Callers hand it rows of input embeddings (token embeddings, or image features spliced in by
/// the engine) with explicit RoPE positions; prefill runs them in chunks of matrix-matrix
/// products, decode runs one row. Logits come from the last row of each call.
public final class LanguageModel: @unchecked Sendable {
    public let config: TextConfig
    let embedTokens: Matrix     // [V, D]
    let layers: [DecoderLayer]
    let finalNorm: [Float]      // [D]
    let lmHead: Matrix          // [V, D]; the embedding matrix itself when tied
    let rope: RotaryEmbedding
    let workspace: Workspace

    /// Loads from `weights` scoped at the decoder (keys `embed_tokens.weight`, `layers.{i}.…`,
    /// `norm.weight`) and `head` scoped at the LM head (key `weight`), unused when embeddings are tied.
    public init(config: TextConfig, weights: WeightSource, head: WeightSource, chunkRows: Int = 256) throws {
        self.config = config
        embedTokens = try weights.matrix("embed_tokens.weight", config.vocabSize, config.hiddenSize)
        layers = try (0..<config.layerCount).map { try DecoderLayer(config: config, weights: weights.scoped("layers.\($0)")) }
        finalNorm = try weights.vector("norm.weight", config.hiddenSize)
        if config.tieWordEmbeddings {
            lmHead = embedTokens
        } else {
            lmHead = try head.matrix("weight", config.vocabSize, config.hiddenSize)
        }
        rope = RotaryEmbedding(headDim: config.headDim, base: config.ropeTheta,
                               maxPositions: config.maxPositions, scaling: config.ropeScaling)
        workspace = Workspace(config: config, rows: chunkRows)
    }

    public var hiddenSize: Int { config.hiddenSize }
    public var vocabularySize: Int { config.vocabSize }

    /// Copies the embedding rows of `tokens` to `destination` (row stride D).
    public func embed(_ tokens: some Collection<Int>, into destination: UnsafeMutablePointer<Float>) throws {
        for (r, id) in tokens.enumerated() {
            guard id >= 0 && id < config.vocabSize else { throw LLMError.tokenOutOfRange(id: id, vocabularySize: config.vocabSize) }
            (destination + r * hiddenSize).update(from: embedTokens.row(id), count: hiddenSize)
        }
    }

    /// Runs `n` rows of input embeddings (row stride D) at `positions` through the decoder,
    /// appending their keys and values to `cache`, and returns the logits of the last row.
    /// `everyRow`, when given, receives the logits of every row (parity tests).
    /// `observeHiddenStates(layer, hidden, rows)` sees each layer's input, and the final-norm output as layer L.
    @discardableResult
    public func forward(
        embeddings: UnsafePointer<Float>, rows n: Int, positions: [Int32], cache: KVCache,
        everyRow: Matrix? = nil,
        observeHiddenStates: ((Int, Matrix, Int) -> Void)? = nil
    ) throws -> [Float] {
        precondition(positions.count == n, "one position per row")
        var logits = [Float](repeating: 0, count: config.vocabSize)
        var start = 0
        while start < n {
            let rows = min(workspace.rows, n - start)
            let x = workspace.x
            x.data.update(from: embeddings + start * hiddenSize, count: rows * hiddenSize)
            try positions[start..<(start + rows)].withUnsafeBufferPointer { p in
                try cache.reserve(positions: p.baseAddress!, rows: rows)
                for (index, layer) in layers.enumerated() {
                    observeHiddenStates?(index, x, rows)
                    run(layer, index: index, rows: rows, positions: p.baseAddress!, cache: cache)
                }
            }
            cache.commit(rows: rows)
            Norm.rms(x, rows: rows, weight: finalNorm, eps: config.rmsNormEps, into: workspace.normed)
            observeHiddenStates?(layers.count, workspace.normed, rows)
            if let everyRow {
                for r in 0..<rows {
                    BLAS.gemv(rows: config.vocabSize, cols: hiddenSize, w: lmHead.data, ldw: hiddenSize,
                              x: workspace.normed.row(r), y: everyRow.row(start + r))
                }
            }
            if start + rows == n {
                logits.withUnsafeMutableBufferPointer { out in
                    BLAS.gemv(rows: config.vocabSize, cols: hiddenSize, w: lmHead.data, ldw: hiddenSize,
                              x: workspace.normed.row(rows - 1), y: out.baseAddress!)
                }
            }
            start += rows
        }
        return logits
    }

    /// One decoder layer on the first `rows` rows of the workspace's residual stream.
    private func run(_ layer: DecoderLayer, index: Int, rows n: Int, positions: UnsafePointer<Int32>, cache: KVCache) {
        let c = config, ws = workspace
        let x = ws.x, normed = ws.normed
        let keys = cache.keys[index], values = cache.values[index]
        let first = cache.count  // cache row of this chunk's first token

        // Attention block.
        Norm.rms(x, rows: n, weight: layer.inputNorm, eps: c.rmsNormEps, into: normed)
        layer.qProj.apply(normed, rows: n, into: ws.q)
        layer.kProj.apply(normed.data, xStride: c.hiddenSize, rows: n, into: keys.row(first), yStride: c.kvDim)
        layer.vProj.apply(normed.data, xStride: c.hiddenSize, rows: n, into: values.row(first), yStride: c.kvDim)
        rope.apply(ws.q.data, stride: c.qDim, rows: n, heads: c.headCount, positions: positions)
        rope.apply(keys.row(first), stride: c.kvDim, rows: n, heads: c.kvHeadCount, positions: positions)
        let keyCount = first + n
        attention(shape: AttentionShape(heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim),
                  queries: ws.q.data, queryStride: c.qDim, queryCount: n,
                  keys: keys.data, values: values.data, kvStride: c.kvDim, keyCount: keyCount,
                  mask: .causal(queryPositions: positions, keyPositions: cache.positions),
                  output: ws.attended.data, outputStride: c.qDim,
                  scores: ws.scores(count: n * keyCount))
        layer.oProj.apply(ws.attended, rows: n, into: normed)
        addInPlace(x.data, normed.data, count: n * c.hiddenSize)

        // MLP block.
        Norm.rms(x, rows: n, weight: layer.postAttentionNorm, eps: c.rmsNormEps, into: normed)
        layer.gateProj.apply(normed, rows: n, into: ws.gate)
        layer.upProj.apply(normed, rows: n, into: ws.up)
        let width = c.intermediateSize
        c.hiddenAct.apply(ws.gate.data, count: n * width)
        multiplyInPlace(ws.gate.data, ws.up.data, count: n * width)
        layer.downProj.apply(ws.gate, rows: n, into: normed)
        addInPlace(x.data, normed.data, count: n * c.hiddenSize)
    }
}
