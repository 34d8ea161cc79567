import Tensor

/// A LLaMA / Qwen2 decoder with a KV cache (transformers' LlamaForCausalLM / Qwen2ForCausalLM).
///
/// Callers hand it rows of input embeddings (token embeddings, or image features spliced in by
/// the engine) with explicit RoPE positions; prefill runs them in chunks of matrix-matrix
/// products, decode runs one row. Logits come from the last row of each call.
public final class LanguageModel: @unchecked Sendable {
    public let config: TextConfig
    let embedTokens: Linear     // [V, D] (a lookup table; a Linear so it can double as a tied head)
    let layers: [DecoderLayer]
    let finalNorm: [Float]      // [D]
    let lmHead: Linear          // [V, D]; the embedding matrix itself when tied
    let rope: RotaryEmbedding
    /// ProxyV's modules when the checkpoint carries them.
    public let proxyV: ProxyVModules?
    let workspace: Workspace
    /// Prefill rows per chunk: bounds the attention score buffer for long prompts.
    let chunkRows: Int

    /// Loads from `weights` scoped at the decoder (keys `embed_tokens.weight`, `layers.{i}.…`,
    /// `norm.weight`) and `head` scoped at the LM head (key `weight`), unused when embeddings are tied.
    public init(config: TextConfig, weights: WeightSource, head: WeightSource, proxyV: ProxyVModules? = nil,
                chunkRows: Int = 512) throws {
        self.config = config
        self.proxyV = proxyV
        embedTokens = Linear(weight: try weights.linearWeight("embed_tokens.weight", config.vocabSize, config.hiddenSize))
        layers = try (0..<config.layerCount).map { try DecoderLayer(config: config, weights: weights.scoped("layers.\($0)")) }
        finalNorm = try weights.vector("norm.weight", config.hiddenSize)
        if config.tieWordEmbeddings {
            lmHead = embedTokens
        } else {
            lmHead = Linear(weight: try head.linearWeight("weight", config.vocabSize, config.hiddenSize))
        }
        rope = RotaryEmbedding(headDim: config.headDim, base: config.ropeTheta,
                               maxPositions: config.maxPositions, scaling: config.ropeScaling)
        self.chunkRows = chunkRows
        workspace = Workspace(config: config, rows: chunkRows)
    }

    public var hiddenSize: Int { config.hiddenSize }

    /// Bytes of weights one decode step reads: every layer's projections and the LM head
    /// (one embedding row is negligible).
    public var decodeWeightBytes: Int {
        layers.reduce(lmHead.weightBytes) { total, layer in
            total + [layer.qProj, layer.kProj, layer.vProj, layer.oProj, layer.gateProj, layer.upProj, layer.downProj]
                .reduce(0) { $0 + $1.weightBytes }
        }
    }
    public var vocabularySize: Int { config.vocabSize }

    /// Copies the embedding rows of `tokens` to `destination` (row stride D).
    public func embed(_ tokens: some Collection<Int>, into destination: UnsafeMutablePointer<Float>) throws {
        for (r, id) in tokens.enumerated() {
            guard id >= 0 && id < config.vocabSize else { throw LLMError.tokenOutOfRange(id: id, vocabularySize: config.vocabSize) }
            embedTokens.copyRow(id, into: destination + r * hiddenSize)
        }
    }

    /// Runs `n` rows of input embeddings (row stride D) at `positions` through the decoder,
    /// appending their keys and values to `cache`, and returns the logits of the last row.
    ///
    /// With `expansion` (DyMU's virtual token unmerging), the rows are a *compressed* sequence
    /// and attention runs as if the full one were there: `expansion[v]` is the row that virtual
    /// position v (at RoPE position `positions[v]`) belongs to. Projections and MLPs run on the
    /// n compressed rows; queries, keys and values are expanded to the virtual positions, attend
    /// causally in virtual space, and each row's output is the mean over its virtual positions.
    /// The cache receives the expanded keys and values, so decoding afterwards is ordinary.
    ///
    /// `everyRow`, when given, receives the logits of every row (parity tests).
    /// `observeHiddenStates(layer, hidden, rows)` sees each layer's input, and the final-norm output as layer L.
    @discardableResult
    public func forward(
        embeddings: UnsafePointer<Float>, rows n: Int, positions: [Int32], cache: KVCache,
        expansion: [Int32]? = nil,
        everyRow: Matrix? = nil,
        observeHiddenStates: ((Int, Matrix, Int) -> Void)? = nil
    ) throws -> [Float] {
        var logits = [Float](repeating: 0, count: config.vocabSize)
        try positions.withUnsafeBufferPointer { p in
            try logits.withUnsafeMutableBufferPointer { out in
                try forward(embeddings: embeddings, rows: n, positions: p, cache: cache, expansion: expansion,
                            logits: out.baseAddress!, everyRow: everyRow, observeHiddenStates: observeHiddenStates)
            }
        }
        return logits
    }

    /// One decode step: `token` at the cache's next position, its logits written into `logits`
    /// (vocabulary-sized). Allocates nothing: the embedding and the position go through the workspace.
    public func decode(token: Int, cache: KVCache, logits: inout [Float]) throws {
        precondition(logits.count == config.vocabSize, "logits must hold the vocabulary")
        let ws = workspace
        try embed(CollectionOfOne(token), into: ws.token.data)
        ws.position[0] = cache.nextPosition
        try logits.withUnsafeMutableBufferPointer { out in
            try forward(embeddings: ws.token.data, rows: 1, positions: UnsafeBufferPointer(start: ws.position, count: 1),
                        cache: cache, expansion: nil, logits: out.baseAddress!, everyRow: nil, observeHiddenStates: nil)
        }
    }

    private func forward(
        embeddings: UnsafePointer<Float>, rows n: Int, positions: UnsafeBufferPointer<Int32>, cache: KVCache,
        expansion: [Int32]?, logits: UnsafeMutablePointer<Float>, everyRow: Matrix?,
        observeHiddenStates: ((Int, Matrix, Int) -> Void)?
    ) throws {
        if let expansion {
            precondition(positions.count == expansion.count, "one position per virtual row")
            precondition(expansion.allSatisfy { $0 >= 0 && Int($0) < n }, "expansion rows out of range")
        } else {
            precondition(positions.count == n, "one position per row")
        }
        // Plain prefill runs in chunks to bound the score matrix; VTU groups may span the whole
        // sequence, so a VTU prefill is one chunk.
        let chunk = expansion == nil ? chunkRows : n
        workspace.reserve(rows: max(chunk, expansion?.count ?? 0))
        var start = 0
        while start < n {
            let rows = min(chunk, n - start)
            let x = workspace.x
            x.data.update(from: embeddings + start * hiddenSize, count: rows * hiddenSize)
            let p = expansion == nil ? UnsafeBufferPointer(rebasing: positions[start..<(start + rows)]) : positions
            try cache.reserve(positions: p.baseAddress!, rows: p.count)
            for (index, layer) in layers.enumerated() {
                observeHiddenStates?(index, x, rows)
                run(layer, index: index, rows: rows, positions: p, expansion: expansion, cache: cache)
            }
            cache.commit(rows: p.count)
            Norm.rms(x, rows: rows, weight: finalNorm, eps: config.rmsNormEps, into: workspace.normed)
            observeHiddenStates?(layers.count, workspace.normed, rows)
            if let everyRow {
                lmHead.apply(workspace.normed.data, xStride: hiddenSize, rows: rows, into: everyRow.row(start), yStride: everyRow.cols)
            }
            if start + rows == n {
                lmHead.apply(workspace.normed.row(rows - 1), xStride: hiddenSize, rows: 1, into: logits, yStride: config.vocabSize)
            }
            start += rows
        }
    }

    /// One decoder layer on the first `rows` rows of the workspace's residual stream.
    func run(_ layer: DecoderLayer, index: Int, rows n: Int, positions: UnsafeBufferPointer<Int32>,
                     expansion: [Int32]?, cache: KVCache) {
        let c = config, ws = workspace
        let x = ws.x, normed = ws.normed
        let keys = cache.keys[index], values = cache.values[index]
        let first = cache.count          // cache row of this call's first query
        let queries = positions.count    // n, or the virtual length with VTU

        // Attention block: projections into the query buffer and the cache rows.
        Norm.rms(x, rows: n, weight: layer.inputNorm, eps: c.rmsNormEps, into: normed)
        if let expansion {
            let compressedQ = ws.compressedQ, kv = ws.compressedKV
            layer.qProj.apply(normed, rows: n, into: compressedQ)
            layer.kProj.apply(normed.data, xStride: c.hiddenSize, rows: n, into: kv.data, yStride: kv.cols)
            layer.vProj.apply(normed.data, xStride: c.hiddenSize, rows: n, into: kv.data + c.kvDim, yStride: kv.cols)
            for (v, row) in expansion.enumerated() {
                let r = Int(row)
                ws.q.copyRow(v, from: compressedQ.row(r))
                keys.copyRow(first + v, from: kv.row(r))
                values.copyRow(first + v, from: kv.row(r) + c.kvDim)
            }
        } else {
            layer.qProj.apply(normed, rows: n, into: ws.q)
            layer.kProj.apply(normed.data, xStride: c.hiddenSize, rows: n, into: keys.row(first), yStride: c.kvDim)
            layer.vProj.apply(normed.data, xStride: c.hiddenSize, rows: n, into: values.row(first), yStride: c.kvDim)
        }
        rope.apply(ws.q.data, stride: c.qDim, rows: queries, heads: c.headCount, positions: positions.baseAddress!)
        rope.apply(keys.row(first), stride: c.kvDim, rows: queries, heads: c.kvHeadCount, positions: positions.baseAddress!)
        let keyCount = first + queries
        let shape = AttentionShape(heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim)
        attention(shape: shape,
                  queries: ws.q.data, queryStride: c.qDim, queryCount: queries,
                  keys: keys.data, values: values.data, kvStride: c.kvDim, keyCount: keyCount,
                  mask: .causal(queryPositions: positions.baseAddress!, keyPositions: cache.positions),
                  output: ws.attended.data, outputStride: c.qDim,
                  scores: ws.scores(count: attentionScratchCount(shape: shape, queryCount: queries, keyCount: keyCount)))
        if let expansion {
            // Re-merge: each compressed row takes the mean of its virtual rows' outputs.
            groupMean(ws.attended, rows: expansion, into: ws.compressedQ, groups: n)
            layer.oProj.apply(ws.compressedQ, rows: n, into: normed)
        } else {
            layer.oProj.apply(ws.attended, rows: n, into: normed)
        }
        addInPlaceParallel(x.data, normed.data, count: n * c.hiddenSize)

        // MLP block.
        Norm.rms(x, rows: n, weight: layer.postAttentionNorm, eps: c.rmsNormEps, into: normed)
        mlp(layer, input: normed, rows: n, into: normed)
        addInPlaceParallel(x.data, normed.data, count: n * c.hiddenSize)
    }

    /// down_proj(act(gate_proj(input)) ⊙ up_proj(input)) for the first `n` rows; `output` may be `input`.
    func mlp(_ layer: DecoderLayer, input: Matrix, rows n: Int, into output: Matrix) {
        let ws = workspace, width = config.intermediateSize
        layer.gateProj.apply(input, rows: n, into: ws.gate)
        layer.upProj.apply(input, rows: n, into: ws.up)
        config.hiddenAct.apply(ws.gate.data, count: n * width)
        multiplyInPlace(ws.gate.data, ws.up.data, count: n * width)
        layer.downProj.apply(ws.gate, rows: n, into: output)
    }
}

/// output[g] = mean of input[v] over the v with rows[v] == g (torch_scatter.scatter_mean: sum, then divide).
func groupMean(_ input: Matrix, rows: [Int32], into output: Matrix, groups: Int) {
    let width = input.cols
    output.data.update(repeating: 0, count: groups * width)
    var counts = [Float](repeating: 0, count: groups)
    for (v, g) in rows.enumerated() {
        addInPlace(output.row(Int(g)), input.row(v), count: width)
        counts[Int(g)] += 1
    }
    for g in 0..<groups where counts[g] > 0 {
        let row = output.row(g)
        for j in 0..<width { row[j] /= counts[g] }
    }
}
