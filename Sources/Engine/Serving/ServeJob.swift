import Foundation
import ImageProcessing

/// A submitted request, prepared on the submitting thread: its prompt's token ids and its
/// decoded images with their digests. What is wrong with a request is found here, before it
/// is queued.
final class ServeJob: @unchecked Sendable {
    let request: ServeRequest
    let ids: [Int]
    let images: [(pixels: RGBImage, digest: String)]
    let submitted = DispatchTime.now().uptimeNanoseconds
    var continuation: AsyncThrowingStream<ServeEvent, Error>.Continuation!
    private let lock = NSLock()
    private var cancelled = false

    init(_ request: ServeRequest, model: VisionLanguageModel) throws {
        try request.sampling.validate()
        guard request.maxTokens >= 1 else { throw EngineError.invalidArgument("max_tokens must be at least 1, got \(request.maxTokens)") }
        let imageParts = request.messages.reduce(0) { count, message in
            guard case let .parts(parts) = message.content else { return count }
            return count + parts.filter { $0 == .image }.count
        }
        guard imageParts == request.images.count else {
            throw EngineError.invalidArgument("the messages have \(imageParts) image part(s) but \(request.images.count) image(s) were given")
        }
        if !request.images.isEmpty && !model.isMultimodal {
            throw EngineError.invalidArgument("\(model.directory) is a text-only model; it cannot take images")
        }
        self.request = request
        let prompt = Request(prompt: .messages(request.messages))
        ids = model.promptIds(try model.promptText(prompt), request: prompt)
        images = try request.images.map { input in
            let pixels = try model.decodeImage(input)
            return (pixels, ImageEmbeddingCache.digest(pixels))
        }
    }

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
