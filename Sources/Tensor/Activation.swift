import CKernels
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

    /// Applies the function in place to `count` values, split over the engine's threads.
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let box = UnsafeSendable(x)
        Parallel.forRanges(count, minimumPerThread: 1 << 14) { range in
            applySerially(box.value + range.lowerBound, count: range.count)
        }
    }

    func applySerially(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu:
            for i in 0..<count { x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)) }
        case .geluPytorchTanh, .geluNew:
            vlm_gelu_tanh(x, Int64(count))
        case .geluFast:
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + tanhf(v * 0.7978845608 * (1 + 0.044715 * v * v)))
            }
        case .quickGelu:
            vlm_sigmoid_gate(x, Int64(count), 1.702)
        case .silu, .swish:
            vlm_sigmoid_gate(x, Int64(count), 1)
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
    vlm_softmax(x, Int64(count))
}
