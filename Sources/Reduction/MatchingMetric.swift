import Tensor

/// The similarity metric DToMe and VisionZip share: a layer's key projections averaged over
/// heads, compared by cosine similarity.
public enum MatchingMetric {
    /// metric[t] = mean over heads of keys[t, h·d ..< (h+1)·d], for the first `rows` rows of `keys`
    /// ([rows, heads·d], bias included, before any scaling), written into `metric` [rows, d].
    public static func headMean(keys: Matrix, rows n: Int, heads: Int, into metric: Matrix) {
        let d = keys.cols / heads
        precondition(metric.cols == d && metric.rows >= n, "metric must be [rows, head_dim]")
        let inverse = 1 / Float(heads)
        for t in 0..<n {
            let row = metric.row(t), key = keys.row(t)
            row.update(from: key, count: d)
            for h in 1..<heads { addInPlace(row, key + h * d, count: d) }
            for j in 0..<d { row[j] *= inverse }
        }
    }

    /// The same, as a new [rows, d] matrix.
    public static func headMean(keys: Matrix, rows n: Int, heads: Int) -> Matrix {
        let metric = Matrix(rows: n, cols: keys.cols / heads)
        headMean(keys: keys, rows: n, heads: heads, into: metric)
        return metric
    }

    /// `source` divided by its L2 norm into `target`, `count` values (no epsilon, as the authors' code).
    @inline(__always)
    public static func normalise(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        let inverse = 1 / sumOfSquares(source, count: count).squareRoot()
        for j in 0..<count { target[j] = source[j] * inverse }
    }
}
