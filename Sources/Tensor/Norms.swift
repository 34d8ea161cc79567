import Foundation

/// Normalisation layers, row by row over the first `n` rows.
public enum Norm {
    /// LlamaRMSNorm / Qwen2RMSNorm: w ⊙ x / sqrt(mean(x²) + eps), accumulated in float32 as transformers does.
    public static func rms(_ x: Matrix, rows n: Int, weight: [Float], eps: Float, into y: Matrix) {
        let d = x.cols
        weight.withUnsafeBufferPointer { w in
            let box = UnsafeSendable((x, y, w.baseAddress!))
            Parallel.forRanges(n, minimumPerThread: 64) { rows in
                let (x, y, w) = box.value
                for r in rows {
                    let xr = x.row(r), yr = y.row(r)
                    let scale = 1 / (sumOfSquares(xr, count: d) / Float(d) + eps).squareRoot()
                    for j in 0..<d { yr[j] = w[j] * (xr[j] * scale) }
                }
            }
        }
    }

    /// nn.LayerNorm: (x − mean) / sqrt(var + eps) · w + b, with the biased variance.
    public static func layer(_ x: Matrix, rows n: Int, weight: [Float], bias: [Float], eps: Float, into y: Matrix) {
        let d = x.cols
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                let box = UnsafeSendable((x, y, w.baseAddress!, b.baseAddress!))
                Parallel.forRanges(n, minimumPerThread: 64) { rows in
                    let (x, y, w, b) = box.value
                    for r in rows {
                        let xr = x.row(r), yr = y.row(r)
                        let mean = sum(xr, count: d) / Float(d)
                        let variance = sumOfSquaredDeviations(xr, from: mean, count: d) / Float(d)
                        let scale = 1 / (variance + eps).squareRoot()
                        for j in 0..<d { yr[j] = (xr[j] - mean) * scale * w[j] + b[j] }
                    }
                }
            }
        }
    }
}

/// Reductions with 16-wide partial sums, so the optimiser can keep them in vector registers.
@inline(__always)
public func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var i = 0
    while i + 16 <= count {
        acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
        i += 16
    }
    var total = acc.sum()
    while i < count { total += x[i]; i += 1 }
    return total
}

@inline(__always)
public func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var i = 0
    while i + 16 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
        acc += v * v
        i += 16
    }
    var total = acc.sum()
    while i < count { total += x[i] * x[i]; i += 1 }
    return total
}

@inline(__always)
public func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, from mean: Float, count: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    let m = SIMD16<Float>(repeating: mean)
    var i = 0
    while i + 16 <= count {
        let c = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - m
        acc += c * c
        i += 16
    }
    var total = acc.sum()
    while i < count { let c = x[i] - mean; total += c * c; i += 1 }
    return total
}

@inline(__always)
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var i = 0
    while i + 16 <= count {
        acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
            * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
        i += 16
    }
    var total = acc.sum()
    while i < count { total += a[i] * b[i]; i += 1 }
    return total
}
