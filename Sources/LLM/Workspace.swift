import Tensor

/// Run buffers of the decoder, reused by every layer and every step. They are sized for the
/// largest plan seen so far and grow only when a larger one arrives (once per request at most),
/// never per token.
final class Workspace: @unchecked Sendable {
    let config: TextConfig
    private(set) var rows = 0
    private(set) var x = Matrix(rows: 0, cols: 0)               // [stream rows, D] residual stream
    private(set) var normed = Matrix(rows: 0, cols: 0)          // [stream rows, D]
    private(set) var keysValues = Matrix(rows: 0, cols: 0)      // [stream rows, 2·Hkv·d]: k | v per row
    private(set) var gathered = Matrix(rows: 0, cols: 0)        // [active rows, D] active rows of a stream matrix
    private(set) var active = Matrix(rows: 0, cols: 0)          // [active rows, D] o_proj and MLP outputs
    private(set) var activeQueries = Matrix(rows: 0, cols: 0)   // [active rows, H·d]
    private(set) var activeAttended = Matrix(rows: 0, cols: 0)  // [active rows, H·d]
    private(set) var queries = Matrix(rows: 0, cols: 0)         // [queries, H·d] gathered (VTU: one per virtual row)
    private(set) var attended = Matrix(rows: 0, cols: 0)        // [queries, H·d]
    private(set) var gate = Matrix(rows: 0, cols: 0)            // [active rows, I]
    private(set) var up = Matrix(rows: 0, cols: 0)              // [active rows, I]
    private var scoreBuffer = Matrix(rows: 0, cols: 0)
    /// A decode step's input: one token's embedding.
    let token: Matrix
    /// The last single-sequence decode plan, reused while its cache is the same.
    private var decodeSteps: (cache: KVCache, plan: RowPlan)?

    init(config: TextConfig, rows: Int) {
        self.config = config
        token = Matrix(rows: 1, cols: config.hiddenSize)
        reserve(rows: rows)
    }

    /// Makes every buffer hold what `plan` needs.
    func reserve(for plan: RowPlan) {
        reserve(rows: plan.sequences.reduce(plan.streamRows) { max($0, $1.queryKeys.count) })
    }

    /// Makes every buffer hold at least `rows` rows.
    func reserve(rows needed: Int) {
        guard needed > rows else { return }
        let c = config
        rows = needed
        x = Matrix(rows: needed, cols: c.hiddenSize)
        normed = Matrix(rows: needed, cols: c.hiddenSize)
        keysValues = Matrix(rows: needed, cols: 2 * c.kvDim)
        gathered = Matrix(rows: needed, cols: c.hiddenSize)
        active = Matrix(rows: needed, cols: c.hiddenSize)
        activeQueries = Matrix(rows: needed, cols: c.qDim)
        activeAttended = Matrix(rows: needed, cols: c.qDim)
        queries = Matrix(rows: needed, cols: c.qDim)
        attended = Matrix(rows: needed, cols: c.qDim)
        gate = Matrix(rows: needed, cols: c.intermediateSize)
        up = Matrix(rows: needed, cols: c.intermediateSize)
    }

    /// A score buffer of at least `count` floats.
    func scores(count: Int) -> UnsafeMutablePointer<Float> {
        if count > scoreBuffer.count { scoreBuffer = Matrix(rows: 1, cols: count) }
        return scoreBuffer.data
    }

    /// `matrix` itself when every row is active, else its active rows gathered in order.
    func gather(_ matrix: Matrix, rows activeRows: [Int32]?) -> Matrix {
        guard let activeRows else { return matrix }
        for (i, r) in activeRows.enumerated() { gathered.copyRow(i, from: matrix.row(Int(r))) }
        return gathered
    }

    /// x[activeRows[i]] += update[i] (every stream row when `activeRows` is nil).
    func addToStream(_ update: Matrix, rows activeRows: [Int32]?, count: Int) {
        guard let activeRows else {
            addInPlaceParallel(x.data, update.data, count: count * config.hiddenSize)
            return
        }
        for (i, r) in activeRows.enumerated() { addInPlace(x.row(Int(r)), update.row(i), count: config.hiddenSize) }
    }

    /// The plan of a decode step on `cache` at its next position, built once per cache.
    func decodePlan(for cache: KVCache) -> RowPlan {
        if decodeSteps?.cache !== cache { decodeSteps = (cache, .decode(caches: [cache])) }
        decodeSteps!.plan.moveDecodeStep(to: cache.nextPosition)
        return decodeSteps!.plan
    }
}
