import CKernels
import Foundation
import Tensor
import Testing

/// The vectorised elementwise kernels against double-precision formulas.
struct ElementwiseKernelTests {
    static let inputs: [Float] = stride(from: -100.0, through: 88.0, by: 0.0137).map { Float($0) } + [-.infinity, 0, 1e-30, -1e-30]

    @Test func expIsAccurate() {
        var x = Self.inputs
        vlm_exp(&x, Int64(x.count))
        var worst = 0.0
        for (input, output) in zip(Self.inputs, x) {
            let exact = Foundation.exp(Double(input))
            if exact < 1e-37 { #expect(abs(Double(output)) < 1e-37); continue }  // denormals may flush
            worst = max(worst, abs(Double(output) - exact) / exact)
        }
        #expect(worst < 5e-7, "relative error \(worst)")
    }

    @Test(arguments: [1, 7, 16, 33, 577])
    func softmaxMatchesDouble(count: Int) {
        var x = (0..<count).map { Float(sin(Double($0) * 1.7) * 9) }
        if count > 3 { x[2] = -.infinity }
        let reference: [Double] = {
            let maximum = x.map(Double.init).max()!
            let exps = x.map { Foundation.exp(Double($0) - maximum) }
            let total = exps.reduce(0, +)
            return exps.map { $0 / total }
        }()
        vlm_softmax(&x, Int64(count))
        for (ours, exact) in zip(x, reference) { #expect(abs(Double(ours) - exact) < 1e-6) }
        if count > 3 { #expect(x[2] == 0) }
        var masked = [Float](repeating: -.infinity, count: count)
        vlm_softmax(&masked, Int64(count))
        #expect(masked.allSatisfy { $0 == 0 }, "a fully masked row gives zeros")
    }

    @Test func activationsMatchTheirFormulas() {
        let xs = stride(from: -12.0, through: 12.0, by: 0.01).map { Float($0) }
        func check(_ activation: Activation, _ formula: (Double) -> Double) {
            var ys = xs
            ys.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
            for (x, y) in zip(xs, ys) {
                let exact = formula(Double(x))
                #expect(abs(Double(y) - exact) <= 1e-6 * max(1, abs(exact)), "\(activation) at \(x)")
            }
        }
        check(.silu) { $0 / (1 + Foundation.exp(-$0)) }
        check(.quickGelu) { $0 / (1 + Foundation.exp(-1.702 * $0)) }
        check(.geluPytorchTanh) { 0.5 * $0 * (1 + Foundation.tanh(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }
        check(.gelu) { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
    }
}
