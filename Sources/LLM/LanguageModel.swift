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
    /// With `virtualRows` (DyMU's virtual token unmerging) the rows are a *compressed* sequence
    /// and attention runs as if the full one were there: `virtualRows[v]` is the row at virtual
    /// position `positions[v]` (see RowPlan.virtual). With `imageCrops` on a ProxyV checkpoint,
    /// the crops starting at those rows run ProxyV's layers (see ProxyVLayers).
    ///
    /// `everyRow`, when given, receives the logits of every row (parity tests).
    /// `observeHiddenStates(layer, hidden, rows)` sees each layer's input, and the final-norm output as layer L.
    @discardableResult
    public func forward(
        embeddings: UnsafePointer<Float>, rows n: Int, positions: [Int32], cache: KVCache,
        virtualRows: [Int32]? = nil, imageCrops: [Int] = [],
        everyRow: Matrix? = nil,
        observeHiddenStates: ((Int, Matrix, Int) -> Void)? = nil
    ) throws -> [Float] {
        var logits = [Float](repeating: 0, count: config.vocabSize)
        try logits.withUnsafeMutableBufferPointer { buffer in
            let output = buffer.baseAddress!
            if let proxyV, !imageCrops.isEmpty {
                precondition(virtualRows == nil, "ProxyV with virtual unmerging")
                let layers = ProxyVLayers(proxyV, cache: cache, rows: n, positions: positions, imageCrops: imageCrops)
                try run(layers.plainPlan, embeddings: embeddings, hooks: layers, logits: output, everyRow: everyRow,
                        observeHiddenStates: observeHiddenStates)
            } else if let virtualRows {
                precondition(virtualRows.count == positions.count, "one position per virtual row")
                // VTU groups may span the whole sequence, so a VTU prefill is one pass.
                let plan = RowPlan.virtual(cache: cache, rows: n, virtualRows: virtualRows, positions: positions)
                try run(plan, embeddings: embeddings, logits: output, everyRow: everyRow, observeHiddenStates: observeHiddenStates)
            } else {
                precondition(positions.count == n, "one position per row")
                // Plain prefill runs in chunks, which bounds the run buffers for long prompts.
                var start = 0
                while start < n {
                    let rows = min(chunkRows, n - start)
                    let plan = RowPlan.plain(cache: cache, rows: rows, positions: Array(positions[start..<(start + rows)]))
                    try run(plan, embeddings: embeddings + start * hiddenSize, logits: output,
                            everyRow: everyRow.map { Matrix(rows: rows, cols: $0.cols, borrowing: $0.row(start), owner: $0) },
                            observeHiddenStates: observeHiddenStates)
                    start += rows
                }
            }
        }
        return logits
    }

    /// One decode step: `token` at the cache's next position, its logits written into `logits`
    /// (vocabulary-sized). Allocates nothing: the embedding and the plan live in the workspace.
    public func decode(token: Int, cache: KVCache, logits: inout [Float]) throws {
        precondition(logits.count == config.vocabSize, "logits must hold the vocabulary")
        let ws = workspace
        try embed(CollectionOfOne(token), into: ws.token.data)
        let plan = ws.decodePlan(for: cache)
        try logits.withUnsafeMutableBufferPointer { out in
            try run(plan, embeddings: ws.token.data, logits: out.baseAddress!, everyRow: nil, observeHiddenStates: nil)
        }
    }

    /// One decode step for several sequences at once: `tokens[i]` at the next position of
    /// `caches[i]`, every weight read once for all of them. Returns each sequence's logits.
    public func decode(tokens: [Int], caches: [KVCache]) throws -> [[Float]] {
        precondition(tokens.count == caches.count, "one cache per token")
        let embeddings = Matrix(rows: tokens.count, cols: hiddenSize)
        try embed(tokens, into: embeddings.data)
        let logits = try forward(batch: caches.enumerated().map { i, cache in
            (UnsafePointer(embeddings.row(i)), cache, [cache.nextPosition])
        })
        return (0..<tokens.count).map { Array(UnsafeBufferPointer(start: logits.row($0), count: config.vocabSize)) }
    }

    /// One pass over several sequences' plain rows (decode tokens, prompt chunks): each entry's
    /// rows (row stride D) at its positions, appended to its own cache. Returns the logits of
    /// each entry's last row, row i for entry i ([entries, V]).
    public func forward(batch entries: [(embeddings: UnsafePointer<Float>, cache: KVCache, positions: [Int32])]) throws -> Matrix {
        precondition(Set(entries.map { ObjectIdentifier($0.cache) }).count == entries.count, "each sequence needs its own cache")
        let plan = RowPlan.batch(entries.map { ($0.cache, $0.positions) })
        let embeddings = Matrix(rows: plan.streamRows, cols: hiddenSize)
        var row = 0
        for entry in entries {
            embeddings.row(row).update(from: entry.embeddings, count: entry.positions.count * hiddenSize)
            row += entry.positions.count
        }
        let logits = Matrix(rows: entries.count, cols: config.vocabSize)
        try run(plan, embeddings: embeddings.data, logits: logits.data, everyRow: nil, observeHiddenStates: nil)
        return logits
    }

    /// Runs every layer on the rows `plan` describes (or those `hooks` substitute), commits
    /// the caches, and writes each sequence's logits (row i of `logits` for sequence i).
    /// `embeddings` fill the stream's first rows.
    private func run(
        _ plan: RowPlan, embeddings: UnsafePointer<Float>, hooks: DecoderLayerHooks? = nil,
        logits: UnsafeMutablePointer<Float>, everyRow: Matrix?, observeHiddenStates: ((Int, Matrix, Int) -> Void)?
    ) throws {
        // A method's layers may run other rows (ProxyV adds its proxies): size for all of them.
        let substitutes = hooks.map { hooks in layers.indices.compactMap { hooks.rowPlan(layer: $0) } } ?? []
        workspace.reserve(for: plan)
        for substitute in substitutes { workspace.reserve(for: substitute) }
        for (s, sequence) in plan.sequences.enumerated() {
            var rows = sequence.keyRows.count
            for substitute in substitutes { rows = max(rows, substitute.sequences[s].keyRows.count) }
            try sequence.cache.reserve(rows: rows)
        }
        let x = workspace.x
        x.data.update(from: embeddings, count: plan.streamRows * hiddenSize)
        for (index, layer) in layers.enumerated() {
            let layerPlan = hooks?.rowPlan(layer: index) ?? plan
            hooks?.beforeLayer(index, stream: x)
            observeHiddenStates?(index, x, layerPlan.streamRows)
            run(layer, index: index, plan: layerPlan)
            hooks?.afterLayer(index, stream: x)
        }
        for sequence in (hooks?.rowPlan(layer: layers.count - 1) ?? plan).sequences {
            sequence.cache.commit(rows: sequence.keptKeys)
        }

        let normed = workspace.normed, n = plan.streamRows
        Norm.rms(x, rows: n, weight: finalNorm, eps: config.rmsNormEps, into: normed)
        observeHiddenStates?(layers.count, normed, n)
        if let everyRow { lmHead.apply(normed.data, xStride: hiddenSize, rows: n, into: everyRow.data, yStride: everyRow.cols) }
        for (s, sequence) in plan.sequences.enumerated() {
            lmHead.apply(normed.row(sequence.logitsRow), xStride: hiddenSize, rows: 1,
                         into: logits + s * config.vocabSize, yStride: config.vocabSize)
        }
    }

    /// One decoder layer on the residual stream, as `plan` describes its rows:
    ///   x = x + o_proj(attention(RoPE(q_proj(n)), RoPE(k_proj(n)), v_proj(n))),  n = input_layernorm(x)
    ///   x = x + down_proj(act(gate_proj(m)) ⊙ up_proj(m)),                       m = post_attention_layernorm(x)
    /// Keys and values come from every stream row, queries and the rest from the active rows.
    func run(_ layer: DecoderLayer, index: Int, plan: RowPlan) {
        let c = config, ws = workspace
        let x = ws.x, normed = ws.normed, kv = ws.keysValues
        let n = plan.streamRows, active = plan.activeCount

        // Attention block. Keys and values of every stream row; queries of the active rows.
        Norm.rms(x, rows: n, weight: layer.inputNorm, eps: c.rmsNormEps, into: normed)
        layer.kProj.apply(normed.data, xStride: c.hiddenSize, rows: n, into: kv.data, yStride: kv.cols)
        layer.vProj.apply(normed.data, xStride: c.hiddenSize, rows: n, into: kv.data + c.kvDim, yStride: kv.cols)
        layer.qProj.apply(ws.gather(normed, rows: plan.activeRows), rows: active, into: ws.activeQueries)
        for sequence in plan.sequences { attend(sequence, layer: index) }
        layer.oProj.apply(ws.activeAttended, rows: active, into: ws.active)
        ws.addToStream(ws.active, rows: plan.activeRows, count: active)

        // MLP block, on the active rows.
        let input = ws.gather(x, rows: plan.activeRows)
        Norm.rms(input, rows: active, weight: layer.postAttentionNorm, eps: c.rmsNormEps, into: ws.active)
        mlp(layer, input: ws.active, rows: active, into: ws.active)
        ws.addToStream(ws.active, rows: plan.activeRows, count: active)
    }

    /// One sequence's attention in layer `index`: its new keys and values into its cache, its
    /// queries against everything its cache holds, and each active row's output (the mean of
    /// its queries' outputs) into the workspace's attended rows.
    private func attend(_ sequence: RowPlan.Sequence, layer index: Int) {
        let c = config, ws = workspace, kv = ws.keysValues
        let cache = sequence.cache, keys = cache.keys[index], values = cache.values[index]
        let first = cache.count, appended = sequence.keyRows.count, queryCount = sequence.queryKeys.count
        for (i, row) in sequence.keyRows.enumerated() {
            keys.copyRow(first + i, from: kv.row(Int(row)))
            values.copyRow(first + i, from: kv.row(Int(row)) + c.kvDim)
        }
        cache.setPositions(sequence.positions, at: first)
        sequence.positions.withUnsafeBufferPointer {
            rope.apply(keys.row(first), stride: c.kvDim, rows: appended, heads: c.kvHeadCount, positions: $0.baseAddress!)
        }

        // Queries: the active rows' own when they line up, else gathered (a VTU row asks one per position).
        let queries: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
        if let start = sequence.contiguousActiveRows {
            queries = ws.activeQueries.row(start)
            output = ws.activeAttended.row(start)
        } else {
            for (i, row) in sequence.queryActiveRows.enumerated() { ws.queries.copyRow(i, from: ws.activeQueries.row(Int(row))) }
            queries = ws.queries.data
            output = ws.attended.data
        }
        sequence.queryPositions.withUnsafeBufferPointer { queryPositions in
            rope.apply(queries, stride: c.qDim, rows: queryCount, heads: c.headCount, positions: queryPositions.baseAddress!)
            let keyCount = first + appended
            let shape = AttentionShape(heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim)
            let scores = ws.scores(count: attentionScratchCount(shape: shape, queryCount: queryCount, keyCount: keyCount))
            func attend(_ mask: AttentionMask) {
                attention(shape: shape, queries: queries, queryStride: c.qDim, queryCount: queryCount,
                          keys: keys.data, values: values.data, kvStride: c.kvDim, keyCount: keyCount,
                          mask: mask, output: output, outputStride: c.qDim, scores: scores)
            }
            if let groups = sequence.groups {
                precondition(groups.keyGroups.count >= keyCount && groups.queryGroups.count == queryCount, "a group for every row")
                groups.queryGroups.withUnsafeBufferPointer { queryGroups in
                    groups.keyGroups.withUnsafeBufferPointer { keyGroups in
                        attend(.causalGroups(queryPositions: queryPositions.baseAddress!, keyPositions: cache.positions,
                                             queryGroups: queryGroups.baseAddress!, keyGroups: keyGroups.baseAddress!,
                                             allowed: groups.allowed))
                    }
                }
            } else {
                attend(.causal(queryPositions: queryPositions.baseAddress!, keyPositions: cache.positions))
            }
        }
        if sequence.contiguousActiveRows == nil {
            // Re-merge: each active row takes the mean of its queries' outputs.
            groupMean(ws.attended, rows: sequence.queryActiveRows, into: ws.activeAttended)
        }
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

/// output[rows[v]] = mean of input[v] over the v sharing that row (torch_scatter.scatter_mean:
/// sum, then divide); output rows no v names are left as they are.
func groupMean(_ input: Matrix, rows: [Int32], into output: Matrix) {
    let width = input.cols
    var counts: [Int32: Float] = [:]
    for g in rows where counts[g] == nil {
        counts[g] = 0
        output.row(Int(g)).update(repeating: 0, count: width)
    }
    for (v, g) in rows.enumerated() {
        addInPlace(output.row(Int(g)), input.row(v), count: width)
        counts[g]! += 1
    }
    for (g, count) in counts {
        let row = output.row(Int(g))
        for j in 0..<width { row[j] /= count }
    }
}
