import ChatTemplate
@testable import Engine
import Foundation
import Testing
import TestSupport

/// The server's engine side: continuous batching gives every request transformers' greedy ids,
/// a second turn about the same image reuses the image and the prompt's cached rows and still
/// answers as a cold server does, a client that goes away frees its sequence, and a full queue
/// says so.
struct ServingTests {
    static let fixtures = FixtureDirectory.all(under: "Tests/EngineTests/Fixtures")
    static let photos = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures/photos").path

    /// The reference's chat cases of a fixture, as server requests with their expected greedy ids.
    static func chatCases(_ fixture: FixtureDirectory) throws -> [(name: String, request: ServeRequest, expected: [Int])] {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.path + "/reference.json"))) as! [String: Any]
        return try (reference["cases"] as! [[String: Any]]).filter { $0["kind"] as? String == "chat" }.map { testCase in
            let images = (testCase["images"] as! [String]).map { ImageInput.file(photos + "/" + $0) }
            let request = ServeRequest(messages: try ChatMessageJSON.parse(testCase["messages"] as! [[String: Any]]), images: images,
                                       maxTokens: reference["max_new_tokens"] as! Int)
            return ("\(fixture)/\(testCase["name"] as! String)", request, testCase["greedy_ids"] as! [Int])
        }
    }

    static func answer(_ server: InferenceServer, _ request: ServeRequest) async throws -> ServeSummary {
        var streamed = ""
        for try await event in try server.submit(request) {
            switch event {
            case let .text(piece): streamed += piece
            case let .finished(summary):
                #expect(summary.text == streamed, "the streamed pieces make up the answer")
                return summary
            }
        }
        throw SetupError("the stream ended without a summary")
    }

    /// Greedy ids as the reference records them: with the end-of-sequence id when generation stopped on it.
    static func ids(_ summary: ServeSummary, expected: [Int]) -> [Int] {
        summary.finishReason == .stop && summary.tokens.count < expected.count ? summary.tokens + [expected.last!] : summary.tokens
    }

    @Test(arguments: fixtures)
    func concurrentRequestsGiveTransformersGreedyIds(_ fixture: FixtureDirectory) async throws {
        let server = InferenceServer(model: try VisionLanguageModel(directory: fixture.path))
        defer { server.shutdown() }
        let cases = try Self.chatCases(fixture)
        #expect(cases.count >= 2, "\(fixture): chat cases in the reference")
        // All at once, twice over: every pass mixes several sequences' decode rows and prompt chunks.
        try await withThrowingTaskGroup(of: (String, [Int], [Int]).self) { group in
            for (name, request, expected) in cases + cases {
                group.addTask { (name, Self.ids(try await Self.answer(server, request), expected: expected), expected) }
            }
            for try await (name, ours, expected) in group { #expect(ours == expected, "\(name): greedy ids") }
        }
    }

    @Test func secondTurnReusesTheImageAndPrefixAndMatchesAColdServer() async throws {
        let fixture = try #require(Self.fixtures.first { $0.path.hasSuffix("tiny-llava-clip-llama") })
        let model = try VisionLanguageModel(directory: fixture.path)
        let (_, first, _) = try #require(try Self.chatCases(fixture).first { !$0.request.images.isEmpty })
        let warm = InferenceServer(model: model)
        defer { warm.shutdown() }
        let answer = try await Self.answer(warm, first)
        var second = first
        second.messages += [.assistant(answer.text), .user("And what colour is it?")]

        let reused = try await Self.answer(warm, second)
        #expect(reused.cachedImages == 1, "the image's rows come from the image cache")
        #expect(reused.cachedTokens > answer.visualTokens, "the first turn's rows, image included, come from the prefix cache")
        #expect(reused.timings.visionTower == 0)

        let cold = InferenceServer(model: model)
        defer { cold.shutdown() }
        let fresh = try await Self.answer(cold, second)
        #expect(fresh.cachedTokens == 0 && fresh.cachedImages == 0)
        #expect(reused.tokens == fresh.tokens, "cached rows give the cold run's tokens")
        #expect(warm.statistics.prefixHits >= 1 && warm.statistics.imageCacheHits == 1)
    }

    @Test func aClientThatGoesAwayFreesItsSequence() async throws {
        let fixture = try #require(Self.fixtures.first { $0.path.hasSuffix("tiny-llava-clip-llama") })
        var options = ServingOptions()
        options.parallel = 1
        let server = InferenceServer(model: try VisionLanguageModel(directory: fixture.path), options: options)
        defer { server.shutdown() }
        let long = ServeRequest(messages: [.user("Tell me a long story.")], maxTokens: 100_000)
        for try await event in try server.submit(long) {
            if case .text = event { break }   // the stream is dropped after its first piece
        }
        // With one sequence, this only finishes if the abandoned one was freed.
        let next = try await Self.answer(server, ServeRequest(messages: [.user("Hi")], maxTokens: 4))
        #expect(next.tokens.count <= 4)
    }

    @Test func aFullQueueAnswersBusy() throws {
        let fixture = try #require(Self.fixtures.first { $0.path.hasSuffix("tiny-llava-clip-llama") })
        var options = ServingOptions()
        options.parallel = 1
        options.queueLimit = 1
        let server = InferenceServer(model: try VisionLanguageModel(directory: fixture.path), options: options)
        defer { server.shutdown() }
        let long = ServeRequest(messages: [.user("Tell me a long story.")], maxTokens: 100_000)
        // One running and one waiting at most: of three, at least one is turned away.
        var streams: [AsyncThrowingStream<ServeEvent, Error>] = []
        var busy = 0
        for _ in 0..<3 {
            do { streams.append(try server.submit(long)) } catch ServingError.busy { busy += 1 }
        }
        #expect(busy >= 1 && streams.count <= 2)
    }

    @Test func badRequestsFailBeforeTheyQueue() throws {
        let fixture = try #require(Self.fixtures.first { $0.path.hasSuffix("tiny-llava-clip-llama") })
        let server = InferenceServer(model: try VisionLanguageModel(directory: fixture.path))
        defer { server.shutdown() }
        #expect(throws: EngineError.self) { try server.submit(ServeRequest(messages: [.user("x")], maxTokens: 0)) }
        #expect(throws: EngineError.self) { try server.submit(ServeRequest(messages: [.user(parts: [.image, .text("x")])])) }
        #expect(throws: (any Error).self) {
            try server.submit(ServeRequest(messages: [.user(parts: [.image, .text("x")])], images: [.encoded(Data("not an image".utf8), name: "upload")]))
        }
    }

    @Test func stopStringsEndTheAnswerBeforeThem() {
        var matcher = StopMatcher(["</end>", "STOP"])
        var out = ""
        for piece in ["Hello </", "en", "d> more"] {
            let (text, stopped) = matcher.append(piece)
            out += text
            if stopped { break }
        }
        #expect(out == "Hello ")
        var open = StopMatcher(["STOP"])
        #expect(open.append("ST").text == "")
        #expect(open.append("AY").text == "STAY")
        #expect(open.finish() == "")
    }
}
