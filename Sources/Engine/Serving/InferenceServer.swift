import Crypto
import Foundation
import ImageProcessing
import LLM
import Tensor

/// One model shared by many requests (the OpenAI-compatible server and `vlm chat`):
/// continuous batching, and caches so that no image is encoded twice and no prompt prefix is
/// computed twice.
///
/// `submit` prepares a request on the caller's thread (prompt, tokens, decoded images: a bad
/// request fails there, before anything streams) and queues it. One worker thread runs the
/// model: each pass takes one row from every decoding sequence and, beside them, one chunk of
/// one prefilling sequence's prompt (RowPlan.batch), so a long prompt never stalls the streams
/// already running and decoding reads the weights once for all sequences. A prompt whose first
/// rows match a finished sequence copies their keys and values instead of computing them.
public final class InferenceServer: @unchecked Sendable {
    public let model: VisionLanguageModel
    public let options: ServingOptions
    private let observer: ServingObserver?

    // Shared with submitting threads, under `condition`.
    private let condition = NSCondition()
    private var queue: [ServeJob] = []
    private var stopping = false
    private var published = ServingStatistics()

    // The worker's own.
    private var active: [ActiveSequence] = []
    private var imageCache: ImageEmbeddingCache
    private var prefixCache: PrefixCache

    public init(model: VisionLanguageModel, options: ServingOptions = .init(), observer: ServingObserver? = nil) {
        precondition(options.parallel >= 1 && options.prefillChunk >= 1 && options.queueLimit >= 0, "serving options out of range")
        self.model = model
        self.options = options
        self.observer = observer
        imageCache = ImageEmbeddingCache(limit: options.imageCacheBytes)
        prefixCache = PrefixCache(limit: options.kvCacheBytes)
        // The worker keeps the server alive until `shutdown` ends it.
        let thread = Thread { self.work() }
        thread.name = "vlm-inference"
        thread.start()
    }

    /// Queues `request` and returns its stream of answer pieces, ending with a summary. Ending
    /// the stream early (a client that goes away) frees its sequence at the next pass.
    /// Throws for a request that cannot run (bad sampling, images, template) or when busy.
    public func submit(_ request: ServeRequest) throws -> AsyncThrowingStream<ServeEvent, Error> {
        let job = try ServeJob(request, model: model)
        let (stream, continuation) = AsyncThrowingStream<ServeEvent, Error>.makeStream()
        job.continuation = continuation
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { job.cancel() }
            self?.condition.signal()
        }
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw ServingError.stopped }
        guard queue.count < options.queueLimit else { throw ServingError.busy(queued: queue.count) }
        queue.append(job)
        published.queued = queue.count
        observer?.queued(length: queue.count)
        condition.signal()
        return stream
    }

    /// What the caches hold and how often they helped.
    public var statistics: ServingStatistics {
        condition.lock()
        defer { condition.unlock() }
        return published
    }

    /// Stops the worker after the pass in flight; queued and running requests end with an error.
    /// Until then the worker thread keeps the server alive.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    // MARK: The worker

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty && active.isEmpty && !stopping { condition.wait() }
            if stopping {
                let waiting = queue
                queue.removeAll()
                condition.unlock()
                for job in waiting { job.continuation.finish(throwing: ServingError.stopped) }
                for sequence in active { sequence.job.continuation.finish(throwing: ServingError.stopped) }
                active.removeAll()
                return
            }
            var admitted: [ServeJob] = []
            while active.count + admitted.count < options.parallel, !queue.isEmpty { admitted.append(queue.removeFirst()) }
            published.queued = queue.count
            condition.unlock()

            for job in admitted where !job.isCancelled { start(job) }
            active.removeAll { sequence in
                guard sequence.job.isCancelled || sequence.state == .finished else { return false }
                sequence.job.continuation.finish()
                return true
            }
            step()
            publishStatistics()
        }
    }

    /// Encodes the job's images (or finds them cached), assembles its rows, reuses what the
    /// prefix cache holds, and either queues its prefill in chunks or, for DyMU's virtual
    /// unmerging and ProxyV (passes that need the whole prompt), prefills it at once.
    private func start(_ job: ServeJob) {
        let request = job.request, llm = model.languageModel
        do {
            var timings = Timings()
            var images: [[ProjectedCrop]] = []
            var cachedImages = 0
            for image in job.images {
                let key = ImageEmbeddingCache.key(digest: image.digest, reduction: request.reduction, proxyV: request.proxyV)
                if let crops = imageCache.crops(for: key) {
                    images.append(crops)
                    cachedImages += 1
                    observer?.imageCache(hit: true, bytesHeld: imageCache.bytes)
                } else {
                    let crops = try model.encodeImage(image.pixels, reduction: request.reduction, proxyV: request.proxyV, timings: &timings)
                    imageCache.insert(crops, for: key)
                    images.append(crops)
                    observer?.imageCache(hit: false, bytesHeld: imageCache.bytes)
                }
            }
            let virtualUnmerging = request.reduction.unmergesVirtually
            let prepared = try model.prepareInput(ids: job.ids, images: images, virtualUnmerging: virtualUnmerging, proxyV: request.proxyV)
            let input = prepared.input
            let context = llm.config.maxPositions
            let highestPosition = Int(input.positions.max() ?? -1) + 1
            guard highestPosition <= context, input.cacheRows <= context else {
                throw EngineError.promptTooLong(tokens: max(highestPosition, input.cacheRows), context: context)
            }
            let maxTokens = min(request.maxTokens, context - highestPosition + 1)
            let layout = PromptKeys(prepared: prepared, digests: job.images.map(\.digest), request: request)

            // Reuse the longest cached prefix that leaves at least the last row to compute. A
            // whole-prompt pass (VTU, ProxyV) can only be skipped up to the end of the last image.
            let wholePromptPass = input.virtualRows != nil || !input.imageCrops.isEmpty
            let found = prefixCache.longestPrefix(of: layout.keys) { rows in
                rows < input.cacheRows && (!wholePromptPass || rows >= layout.endOfLastImage)
            }
            let cache = KVCache(config: llm.config, capacity: input.cacheRows + maxTokens - 1)
            let reused = found?.rows ?? 0
            if let found { try cache.copyPrefix(of: found.cache, rows: reused) }
            observer?.prefixCache(reusedRows: reused, bytesHeld: prefixCache.bytes)

            // After the last image, stream rows and cache rows run one to one.
            let suffixStart = reused == 0 ? 0 : input.rows - (input.cacheRows - reused)
            let sequence = ActiveSequence(job: job, input: input, cache: cache, promptKeys: layout.keys, reusedRows: reused,
                                          suffixStart: suffixStart, maxTokens: maxTokens, tokenizer: model.tokenizer)
            sequence.summary.timings = timings
            sequence.summary.visualTokens = prepared.visualTokens
            sequence.summary.cachedImages = cachedImages
            if wholePromptPass && reused == 0 {
                let logits = try measure(&sequence.summary.timings.prefill) {
                    try llm.forward(embeddings: input.embeddings.data, rows: input.rows, positions: input.positions, cache: cache,
                                    virtualRows: input.virtualRows, imageCrops: input.imageCrops)
                }
                sequence.nextRow = input.rows
                sequence.nextCacheRow = input.cacheRows
                firstToken(sequence, logits: logits)
            }
            active.append(sequence)
        } catch {
            job.continuation.finish(throwing: error)
        }
    }

    /// One pass: a row for every decoding sequence, and a chunk of one prefilling prompt.
    private func step() {
        let llm = model.languageModel, width = llm.hiddenSize
        let decoding = active.filter { $0.state == .decoding }
        let prefilling = active.first { $0.state == .prefilling }
        guard !decoding.isEmpty || prefilling != nil else { return }
        let tokens = Matrix(rows: decoding.count, cols: width)
        var entries: [(embeddings: UnsafePointer<Float>, cache: KVCache, positions: [Int32])] = []
        do {
            try llm.embed(decoding.map(\.lastToken), into: tokens.data)
            for (i, sequence) in decoding.enumerated() {
                entries.append((UnsafePointer(tokens.row(i)), sequence.cache, [sequence.cache.nextPosition]))
            }
            var chunk = 0
            if let prefilling {
                chunk = min(options.prefillChunk, prefilling.remainingPromptRows)
                let first = prefilling.nextCacheRow
                entries.append((UnsafePointer(prefilling.input.embeddings.row(prefilling.nextRow)), prefilling.cache,
                                Array(prefilling.input.positions[first..<(first + chunk)])))
            }
            var elapsed = 0.0
            let logits = try measure(&elapsed) { try llm.forward(batch: entries) }
            for (i, sequence) in decoding.enumerated() {
                sequence.summary.timings.decode += elapsed
                sequence.summary.timings.decodeSteps += 1
                accept(sample(sequence, logits.row(i)), for: sequence)
            }
            if let prefilling {
                prefilling.summary.timings.prefill += elapsed
                prefilling.nextRow += chunk
                prefilling.nextCacheRow += chunk
                if prefilling.remainingPromptRows == 0 {
                    firstToken(prefilling, logits: Array(UnsafeBufferPointer(start: logits.row(decoding.count), count: logits.cols)))
                }
            }
        } catch {
            // A pass that fails (the context filled) ends every sequence in it.
            for sequence in decoding + [prefilling].compactMap({ $0 }) {
                sequence.state = .finished
                sequence.job.continuation.finish(throwing: error)
            }
        }
    }

    private func sample(_ sequence: ActiveSequence, _ logits: UnsafePointer<Float>) -> Int {
        sequence.sampler.next(Array(UnsafeBufferPointer(start: logits, count: model.languageModel.vocabularySize)))
    }

    private func firstToken(_ sequence: ActiveSequence, logits: [Float]) {
        let now = DispatchTime.now().uptimeNanoseconds
        sequence.summary.timeToFirstToken = Double(now - sequence.job.submitted) / 1e6
        sequence.lastTokenTime = now
        observer?.firstToken(milliseconds: sequence.summary.timeToFirstToken)
        sequence.state = .decoding
        accept(sequence.sampler.next(logits), for: sequence)
    }

    /// A newly chosen token: streamed (held back while it may be the start of a stop string),
    /// then the end of the request if it ends it.
    private func accept(_ token: Int, for sequence: ActiveSequence) {
        let now = DispatchTime.now().uptimeNanoseconds
        if sequence.summary.tokens.count > 0 { observer?.nextToken(milliseconds: Double(now - sequence.lastTokenTime) / 1e6) }
        sequence.lastTokenTime = now
        if model.endOfSequence.contains(token) { return finish(sequence, .stop) }
        sequence.summary.tokens.append(token)
        let (text, stopped) = sequence.stopMatcher.append(sequence.text.append(token))
        emit(text, sequence)
        if stopped { return finish(sequence, .stop, flush: false) }
        if sequence.summary.tokens.count >= sequence.maxTokens { return finish(sequence, .length) }
        sequence.lastToken = token
    }

    private func emit(_ text: String, _ sequence: ActiveSequence) {
        guard !text.isEmpty else { return }
        sequence.summary.text += text
        sequence.job.continuation.yield(.text(text))
    }

    private func finish(_ sequence: ActiveSequence, _ reason: FinishReason, flush: Bool = true) {
        if flush {
            let (text, stopped) = sequence.stopMatcher.append(sequence.text.finish())
            emit(stopped ? text : text + sequence.stopMatcher.finish(), sequence)
        }
        sequence.summary.finishReason = reason
        sequence.summary.timings.promptTokens = sequence.summary.promptTokens
        sequence.summary.timings.generatedTokens = sequence.summary.tokens.count
        sequence.state = .finished
        observer?.finished(sequence.summary)
        sequence.job.continuation.yield(.finished(sequence.summary))
        prefixCache.insert(sequence.cache, keys: sequence.cacheKeys)
    }

    private func publishStatistics() {
        condition.lock()
        published.imageCacheBytes = imageCache.bytes
        published.imageCacheHits = imageCache.hits
        published.imageCacheMisses = imageCache.misses
        published.kvCacheBytes = prefixCache.bytes
        published.cachedSequences = prefixCache.count
        published.prefixLookups = prefixCache.lookups
        published.prefixHits = prefixCache.hits
        published.reusedRows = prefixCache.reusedRows
        published.running = active.count
        condition.unlock()
    }
}

/// What the server's caches hold and how often they helped.
public struct ServingStatistics: Sendable, Encodable {
    public var queued = 0
    public var running = 0
    public var imageCacheBytes = 0
    public var imageCacheHits = 0
    public var imageCacheMisses = 0
    public var kvCacheBytes = 0
    public var cachedSequences = 0
    public var prefixLookups = 0
    public var prefixHits = 0
    public var reusedRows = 0
}
