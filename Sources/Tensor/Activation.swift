import Foundation

/// Activation functions by their transformers names (`hidden_act`, `projector_hidden_act`),
/// mirroring transformers/activations.py ACT2FN.
public enum Activation: String, Sendable, Decodable {
    case gelu                              // exact, erf-based (nn.GELU())
    case geluPytorchTanh = "gelu_pytorch_tanh" // tanh approximation (SigLIP)
    case geluNew = "gelu_new"              // same formula as the tanh approximation
    case geluFast = "gelu_fast"
    case quickGelu = "quick_gelu"          // x·σ(1.702x) (OpenAI CLIP)
    case silu
    case swish
    case relu
    case tanh
    case sigmoid
    case linear

    /// Applies the function in place to `count` values.
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu:
            for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)) }
        case .geluPytorchTanh, .geluNew:
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + tanhf(0.7978845608028654 * (v + 0.044715 * v * v * v)))
            }
        case .geluFast:
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + tanhf(v * 0.7978845608 * (1 + 0.044715 * v * v)))
            }
        case .quickGelu:
            for i in 0..<count { x[i] = x[i] / (1 + expf(-1.702 * x[i])) }
        case .silu, .swish:
            for i in 0..<count { x[i] = x[i] / (1 + expf(-x[i])) }
        case .relu:
            for i in 0..<count { x[i] = max(x[i], 0) }
        case .tanh:
            for i in 0..<count { x[i] = tanhf(x[i]) }
        case .sigmoid:
            for i in 0..<count { x[i] = 1 / (1 + expf(-x[i])) }
        case .linear:
            break
        }
    }
}

/// Numerically stable softmax of `count` values in place; −∞ entries get probability 0.
@inline(__always)
public func softmaxInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var maximum = -Float.infinity
    for i in 0..<count { maximum = max(maximum, x[i]) }
    guard maximum > -Float.infinity else {
        for i in 0..<count { x[i] = 0 }
        return
    }
    var total: Float = 0
    for i in 0..<count { let e = expf(x[i] - maximum); x[i] = e; total += e }
    let inverse = 1 / total
    for i in 0..<count { x[i] *= inverse }
}
