import Foundation

/// Rotary position embedding in the HF `rotate_half` convention: dimension i pairs with i + d/2.
///
/// Mirrors transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb: inv_freq is computed in
/// float32 as 1 / base^(2i/d), the angle is position · inv_freq in float32, and
/// q' = q·cos + rotate_half(q)·sin. Cos/sin are tabulated once per position.
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    public let maxPositions: Int
    private let cosTable: [Float]  // [maxPositions, headDim/2]
    private let sinTable: [Float]

    public init(headDim: Int, base: Float, maxPositions: Int, scaling: RopeScaling = .none) {
        self.headDim = headDim
        self.maxPositions = maxPositions
        let half = headDim / 2
        var inverseFrequency = (0..<half).map { i in 1 / powf(base, Float(2 * i) / Float(headDim)) }
        inverseFrequency = scaling.adjust(inverseFrequency)
        var cosines = [Float](repeating: 0, count: maxPositions * half)
        var sines = cosines
        for p in 0..<maxPositions {
            for i in 0..<half {
                let angle = Float(p) * inverseFrequency[i]
                cosines[p * half + i] = Float(cos(Double(angle)))
                sines[p * half + i] = Float(sin(Double(angle)))
            }
        }
        cosTable = cosines.map { $0 * scaling.attentionFactor }
        sinTable = sines.map { $0 * scaling.attentionFactor }
    }

    /// Rotates `heads` head vectors laid out contiguously in each of `rows` rows (row stride `stride`),
    /// row r at position `positions[r]`.
    public func apply(_ x: UnsafeMutablePointer<Float>, stride: Int, rows: Int, heads: Int, positions: UnsafePointer<Int32>) {
        let half = headDim / 2, headDim = headDim
        for r in 0..<rows {
            precondition(positions[r] >= 0 && Int(positions[r]) < maxPositions,
                         "position \(positions[r]) outside the RoPE table of \(maxPositions)")
        }
        cosTable.withUnsafeBufferPointer { cosines in
            sinTable.withUnsafeBufferPointer { sines in
                let box = UnsafeSendable((x, positions, cosines.baseAddress!, sines.baseAddress!))
                Parallel.forRanges(rows, minimumPerThread: 32) { range in
                    let (x, positions, cosines, sines) = box.value
                    for r in range {
                        let p = Int(positions[r])
                        let c = cosines + p * half, s = sines + p * half
                        for h in 0..<heads {
                            let v = x + r * stride + h * headDim
                            for i in 0..<half {
                                let a = v[i], b = v[i + half]
                                v[i] = a * c[i] - b * s[i]
                                v[i + half] = b * c[i] + a * s[i]
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `rope_scaling` / `rope_parameters` variants that change the frequencies.
public enum RopeScaling: Sendable, Equatable {
    case none
    /// Position interpolation: frequencies divided by `factor`.
    case linear(factor: Float)
    /// LLaMA-3.1 frequency-dependent scaling (transformers' `_compute_llama3_parameters`).
    case llama3(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalMaxPositions: Int)

    var attentionFactor: Float { 1 }

    func adjust(_ inverseFrequency: [Float]) -> [Float] {
        switch self {
        case .none:
            return inverseFrequency
        case let .linear(factor):
            return inverseFrequency.map { $0 / factor }
        case let .llama3(factor, low, high, original):
            let lowWavelength = Float(original) / low
            let highWavelength = Float(original) / high
            return inverseFrequency.map { f in
                let wavelength = 2 * Float.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / factor }
                let smooth = (Float(original) / wavelength - low) / (high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        }
    }
}
