import Tensor

/// Run buffers of the decoder, reused by every layer and every step. They are sized for the
/// largest forward call seen so far and grow only when a longer one arrives (once per request
/// at most), never per token.
final class Workspace: @unchecked Sendable {
    let config: TextConfig
    private(set) var rows = 0
    private(set) var x = Matrix(rows: 0, cols: 0)         // [rows, D] residual stream
    private(set) var normed = Matrix(rows: 0, cols: 0)    // [rows, D]
    private(set) var q = Matrix(rows: 0, cols: 0)         // [rows, H·d]
    private(set) var attended = Matrix(rows: 0, cols: 0)  // [rows, H·d]
    private(set) var gate = Matrix(rows: 0, cols: 0)      // [rows, I]
    private(set) var up = Matrix(rows: 0, cols: 0)        // [rows, I]
    // Compressed-space projections for VTU (queries/keys/values before expansion).
    private(set) var compressedQ = Matrix(rows: 0, cols: 0)   // [rows, H·d]
    private(set) var compressedKV = Matrix(rows: 0, cols: 0)  // [rows, 2·Hkv·d]
    private var scoreBuffer = Matrix(rows: 0, cols: 0)
    // A decode step's input: one token's embedding and its position.
    let token: Matrix
    let position: UnsafeMutablePointer<Int32>

    init(config: TextConfig, rows: Int) {
        self.config = config
        token = Matrix(rows: 1, cols: config.hiddenSize)
        position = .allocate(capacity: 1)
        position.initialize(to: 0)
        reserve(rows: rows)
    }

    deinit { position.deallocate() }

    /// Makes every buffer hold at least `rows` rows.
    func reserve(rows needed: Int) {
        guard needed > rows else { return }
        let c = config
        rows = needed
        x = Matrix(rows: needed, cols: c.hiddenSize)
        normed = Matrix(rows: needed, cols: c.hiddenSize)
        q = Matrix(rows: needed, cols: c.qDim)
        attended = Matrix(rows: needed, cols: c.qDim)
        gate = Matrix(rows: needed, cols: c.intermediateSize)
        up = Matrix(rows: needed, cols: c.intermediateSize)
        compressedQ = Matrix(rows: needed, cols: c.qDim)
        compressedKV = Matrix(rows: needed, cols: 2 * c.kvDim)
    }

    /// A score buffer of at least `count` floats.
    func scores(count: Int) -> UnsafeMutablePointer<Float> {
        if count > scoreBuffer.count { scoreBuffer = Matrix(rows: 1, cols: count) }
        return scoreBuffer.data
    }
}
