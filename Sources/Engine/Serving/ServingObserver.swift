/// Receives what an `InferenceServer` does, for metrics. Called on the server's worker thread
/// (and `queued` on the submitting thread): keep it quick.
public protocol ServingObserver: AnyObject, Sendable {
    func queued(length: Int)
    func imageCache(hit: Bool, bytesHeld: Int)
    func prefixCache(reusedRows: Int, bytesHeld: Int)
    func firstToken(milliseconds: Double)
    func nextToken(milliseconds: Double)
    func finished(_ summary: ServeSummary)
}
