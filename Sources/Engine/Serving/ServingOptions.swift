/// How `InferenceServer` shares one model among requests.
public struct ServingOptions: Sendable {
    /// Sequences that prefill or decode at once (continuous batching): each decode step reads the
    /// weights once for all of them.
    public var parallel = 8
    /// Requests that may wait for a free sequence; past that `submit` answers `ServingError.busy`.
    public var queueLimit = 32
    /// Prompt rows prefilled in one pass, beside the other sequences' decode rows, so that a long
    /// prompt does not stall the streams already running.
    public var prefillChunk = 256
    /// Bytes of projected image rows kept for images seen again (keyed by their decoded pixels).
    public var imageCacheBytes = 256 << 20
    /// Bytes of finished sequences' KV caches kept for requests that start with the same rows.
    public var kvCacheBytes = 1 << 30

    public init() {}
}
