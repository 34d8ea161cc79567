import Tensor

/// Where token-reduction methods reach into the tower's blocks (DToMe merges inside blocks;
/// VisionZip reads one block's attention). The tower calls these in block order; a method that
/// needs nothing returns nil / leaves the rows as they are.
public protocol VisionBlockHooks: AnyObject {
    /// An additive bias per key (e.g. DToMe's log(size)) for block `layer`'s attention over `rows` tokens.
    func keyBias(layer: Int, rows: Int) -> UnsafePointer<Float>?

    /// Receives block `layer`'s softmax probabilities over `rows` tokens, one head at a time ([rows, rows] each).
    func attentionObserver(layer: Int, rows: Int) -> ((_ head: Int, _ probabilities: UnsafePointer<Float>) -> Void)?

    /// After block `layer`'s attention residual and before its MLP: may merge the first `rows`
    /// rows of `hidden` in place, given this block's key projections `keys` [rows, C]
    /// (bias included, before any scaling). Returns the new row count.
    func afterAttention(layer: Int, hidden: Matrix, rows: Int, keys: Matrix) -> Int
}
