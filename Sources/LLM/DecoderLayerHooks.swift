import Tensor

/// Where a method reaches into the decoder's layers beyond what a row plan says (ProxyV makes
/// its proxies before its start layer and updates the vision tokens after each of its layers).
/// The model calls these in layer order; the decoder-side twin of the tower's VisionBlockHooks.
public protocol DecoderLayerHooks: AnyObject {
    /// The plan layer `index` runs instead of the pass's own, or nil to keep it.
    func rowPlan(layer index: Int) -> RowPlan?
    /// Before layer `index`, on the residual stream (rows as the layer's plan describes them).
    func beforeLayer(_ index: Int, stream: Matrix)
    /// After layer `index`, on the residual stream.
    func afterLayer(_ index: Int, stream: Matrix)
}
