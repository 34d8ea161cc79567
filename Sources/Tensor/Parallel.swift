import Dispatch
import Foundation

/// Splits work over the engine's threads (the same count OpenBLAS is given).
public enum Parallel {
    nonisolated(unsafe) public static var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Calls `body` on disjoint ranges covering 0..<count, concurrently when it is worth it.
    public static func forRanges(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, max(1, count / max(minimumPerThread, 1)))
        guard parts > 1 else { return body(0..<count) }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = count * part / parts, end = count * (part + 1) / parts
                box.value(start..<end)
            }
        }
    }
}

/// Hands a non-Sendable value to work that the caller waits for (concurrentPerform returns only
/// when every iteration is done, so nothing outlives the call).
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
