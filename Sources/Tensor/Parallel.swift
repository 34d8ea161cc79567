import CKernels
import Dispatch
import Foundation

/// Splits work over the engine's threads (the same count OpenBLAS is given).
public enum Parallel {
    nonisolated(unsafe) public static var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Calls `body` on disjoint ranges covering 0..<count, concurrently when it is worth it.
    /// With `chunksPerThread` > 1 the ranges are smaller and threads claim them as they finish,
    /// so a thread that starts late or runs slower (memory-bound decode) takes fewer of them.
    public static func forRanges(_ count: Int, minimumPerThread: Int = 1, chunksPerThread: Int = 1,
                                 _ body: (Range<Int>) -> Void) {
        let parts = min(threads * chunksPerThread, max(1, count / max(minimumPerThread, 1)))
        forParts(parts) { part in body((count * part / parts)..<(count * (part + 1) / parts)) }
    }

    /// Calls `body(part)` for part in 0..<parts, concurrently, on a pool of spinning workers
    /// (CKernels' vlm_pool_run): decode makes hundreds of these calls per token.
    public static func forParts(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 1 else { return parts == 1 ? body(0) : () }
        withoutActuallyEscaping(body) { body in
            var job = body
            withUnsafeMutablePointer(to: &job) { pointer in
                vlm_pool_run(Int32(parts), Int32(threads), { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(part))
                }, pointer)
            }
        }
    }
}

/// Hands a non-Sendable value to work that the caller waits for (concurrentPerform returns only
/// when every iteration is done, so nothing outlives the call).
public struct UnsafeSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

