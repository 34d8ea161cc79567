import Tensor

/// Run buffers of the decoder, allocated once for up to `rows` tokens per forward call and
/// reused by every layer and every step (decode steps use the first row).
final class Workspace: @unchecked Sendable {
    let rows: Int
    let x: Matrix         // [rows, D] residual stream
    let normed: Matrix    // [rows, D]
    let q: Matrix         // [rows, H·d]
    let attended: Matrix  // [rows, H·d]
    let gate: Matrix      // [rows, I]
    let up: Matrix        // [rows, I]
    var scores: UnsafeMutablePointer<Float>
    var scoreCapacity: Int

    init(config c: TextConfig, rows: Int) {
        self.rows = rows
        x = Matrix(rows: rows, cols: c.hiddenSize)
        normed = Matrix(rows: rows, cols: c.hiddenSize)
        q = Matrix(rows: rows, cols: c.qDim)
        attended = Matrix(rows: rows, cols: c.qDim)
        gate = Matrix(rows: rows, cols: c.intermediateSize)
        up = Matrix(rows: rows, cols: c.intermediateSize)
        scoreCapacity = 0
        scores = .allocate(capacity: 1)
    }

    deinit { scores.deallocate() }

    /// A score buffer for `count` floats; grows (rarely: once per longer context) and is kept.
    func scores(count: Int) -> UnsafeMutablePointer<Float> {
        if count > scoreCapacity {
            scores.deallocate()
            scores = .allocate(capacity: count)
            scoreCapacity = count
        }
        return scores
    }
}
