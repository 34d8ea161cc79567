import CKernels
import Foundation
import Tensor

/// This machine's own limits, measured in the same run as a benchmark so that each stage can be
/// reported as a fraction of what the hardware (and the BLAS the engine uses) can do right now.
public struct MachineLimits: Sendable, Encodable {
    /// Single-precision GEMM through the engine's BLAS, 2048³, best of several runs (GFLOP/s).
    public let gemmGFLOPs: Double
    /// A streaming read of a buffer much larger than the caches, all threads, best of several runs (GB/s).
    public let memoryReadGBs: Double
    public let blasCore: String
    public let threads: Int

    enum CodingKeys: String, CodingKey {
        case gemmGFLOPs = "gemm_gflops", memoryReadGBs = "memory_read_gbs", blasCore = "blas_core", threads
    }

    public static func measure(repeats: Int = 5) -> MachineLimits {
        MachineLimits(gemmGFLOPs: gemm(repeats: repeats), memoryReadGBs: memoryRead(repeats: repeats),
                      blasCore: BLAS.coreName, threads: Parallel.threads)
    }

    static func gemm(repeats: Int) -> Double {
        let n = 2048
        let a = Matrix(rows: n, cols: n), b = Matrix(rows: n, cols: n), c = Matrix(rows: n, cols: n)
        for i in 0..<(n * n) { a.data[i] = Float(i % 7) * 1e-3; b.data[i] = Float(i % 5) * 1e-3 }
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            BLAS.gemmTransposedB(m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n, c: c.data, ldc: n)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }

    static func memoryRead(repeats: Int) -> Double {
        let count = 256 << 20 / 4 * 4  // 1 GiB of floats
        let buffer = Matrix(rows: 1, cols: count)
        for i in stride(from: 0, to: count, by: 1024) { buffer.data[i] = 1 }  // touch every page
        var best = Double.infinity
        var sink: Float = 0
        let parts = Parallel.threads
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: parts)
        defer { partials.deallocate() }
        let box = UnsafeSendable((buffer.data, partials))
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            Parallel.forParts(parts) { part in
                let (data, partials) = box.value
                let begin = count * part / parts, end = count * (part + 1) / parts
                partials[part] = vlm_stream_sum(data + begin, Int64(end - begin))
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            for i in 0..<parts { sink += partials[i] }
        }
        precondition(sink.isFinite)
        return Double(count * 4) / best / 1e9
    }
}

/// Peak resident memory of this process so far, in bytes.
public func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
