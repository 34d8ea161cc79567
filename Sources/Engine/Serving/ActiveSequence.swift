import Foundation
import LLM
import Tensor
import Tokenizer

/// One request in flight on the server's worker: its prompt rows, its own KV cache, how far its
/// prefill has come, and what it has generated.
final class ActiveSequence {
    enum State { case prefilling, decoding, finished }

    let job: ServeJob
    let input: PreparedInput
    let cache: KVCache
    /// One key per cache row the prompt fills (see PrefixCache).
    let promptKeys: [UInt64]
    /// The next stream row to prefill; rows before it are in the cache.
    var nextRow: Int
    /// The cache row (and position index) of `nextRow`.
    var nextCacheRow: Int
    var state = State.prefilling
    var sampler: Sampler
    var text: StreamingDecoder
    var stopMatcher: StopMatcher
    var summary = ServeSummary()
    /// The last generated token, fed at the next decode step.
    var lastToken = 0
    /// Tokens this sequence may still generate (max_tokens, and the context).
    let maxTokens: Int
    var lastTokenTime: UInt64 = 0

    /// `reusedRows` cache rows came from the prefix cache, holding the stream rows before `suffixStart`.
    init(job: ServeJob, input: PreparedInput, cache: KVCache, promptKeys: [UInt64], reusedRows: Int, suffixStart: Int,
         maxTokens: Int, tokenizer: Tokenizer) {
        self.job = job
        self.input = input
        self.cache = cache
        self.promptKeys = promptKeys
        nextCacheRow = reusedRows
        nextRow = suffixStart
        self.maxTokens = maxTokens
        sampler = Sampler(job.request.sampling)
        text = StreamingDecoder(tokenizer: tokenizer)
        stopMatcher = StopMatcher(job.request.stop)
        summary.promptTokens = input.rows
        summary.cachedTokens = nextRow
    }

    var remainingPromptRows: Int { input.rows - nextRow }

    /// Keys of every row the cache holds: the prompt's, then the generated tokens fed back.
    var cacheKeys: [UInt64] { promptKeys + summary.tokens.prefix(cache.count - promptKeys.count).map { UInt64($0) } }
}

/// Holds back text that may be the start of a stop string, and finds the first stop string.
struct StopMatcher {
    let stops: [String]
    private var pending = ""

    init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Text safe to emit now, and whether a stop string was reached (the text then ends before it).
    mutating func append(_ piece: String) -> (text: String, stopped: Bool) {
        pending += piece
        if let stop = stops.compactMap({ pending.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let text = String(pending[..<stop.lowerBound])
            pending = ""
            return (text, true)
        }
        // Keep the longest tail that could still grow into a stop string.
        var keep = 0
        for stop in stops {
            for length in stride(from: min(stop.count - 1, pending.count), to: keep, by: -1)
            where pending.hasSuffix(stop.prefix(length)) {
                keep = length
                break
            }
        }
        let text = String(pending.dropLast(keep))
        pending = String(pending.suffix(keep))
        return (text, false)
    }

    /// What is held back when generation ends without a stop string.
    mutating func finish() -> String {
        defer { pending = "" }
        return pending
    }
}
