@testable import Engine
import Foundation
import Testing
import TestSupport

/// Checkpoints in the original LLaVA repository's layout (ProxyV's release uses it), made from
/// the transformers-layout ProxyV fixture by scripts/make_method_fixtures.py: the same weights
/// must give the same answer, and the original's prompt conventions must hold.
struct OriginalLayoutTests {
    static let fixtures = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures").path
    static let original = fixtures + "/tiny-llava-proxyv-original"
    static let tower = fixtures + "/tiny-clip-tower"
    static let photo = fixtures + "/photos/chelsea_451x300.jpg"

    @Test func sameWeightsGiveTheSameAnswerInBothLayouts() throws {
        let raw = Request.Prompt.raw("USER: <image>\nWhat is this? ASSISTANT:")
        let transformersLayout = try VisionLanguageModel(directory: Self.fixtures + "/tiny-llava-proxyv")
        let originalLayout = try VisionLanguageModel(directory: Self.original, visionTower: Self.tower)
        let a = try transformersLayout.run(Request(prompt: raw, images: [Self.photo], maxNewTokens: 12))
        let b = try originalLayout.run(Request(prompt: raw, images: [Self.photo], maxNewTokens: 12))
        #expect(a.tokens == b.tokens)
        #expect(a.promptTokens == b.promptTokens)
        #expect(b.proxyV != nil)
    }

    /// `tokenizer_image_token`: pieces around <image> tokenized alone, one BOS, the sentinel −200 between.
    @Test func promptFollowsTheOriginalConventions() throws {
        let vlm = try VisionLanguageModel(directory: Self.original, visionTower: Self.tower)
        let request = Request(prompt: .chat("What is this?"), images: [Self.photo])
        let text = try vlm.promptText(request)
        #expect(text == "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions. USER: <image>\nWhat is this? ASSISTANT:")
        let ids = vlm.promptIds(text, request: request)
        let pieces = text.components(separatedBy: "<image>")
        let expected = vlm.tokenizer.encode(pieces[0]) + [-200] + vlm.tokenizer.encode(pieces[1]).dropFirst()
        #expect(ids == expected)
        #expect(ids.filter { $0 == vlm.tokenizer.encode("")[0] }.count == 1, "one BOS")
    }

    /// AnyRes (ProxyV's release setting): the base image and its crops each pass the tower, and
    /// each is followed by the newline token; ProxyV makes proxies for every crop.
    @Test func anyResCropsEachGetTheirProxies() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-anyres-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: Self.original, toPath: directory.path)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configURL = directory.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        config["image_aspect_ratio"] = "anyres"
        config["image_grid_pinpoints"] = [[56, 112], [112, 56], [112, 112]]
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)

        let plain = try VisionLanguageModel(directory: Self.original, visionTower: Self.tower)
        let anyres = try VisionLanguageModel(directory: directory.path, visionTower: Self.tower)
        let request = Request(prompt: .chat("What is this?"), images: [Self.photo], maxNewTokens: 4)
        let one = try plain.run(request), many = try anyres.run(request)
        // 451×300 picks the 112×112 grid: the base image plus 2×2 crops of 56 px, 16 tokens + a newline each.
        #expect(many.visualTokens == 5 * 16)
        #expect(many.promptTokens == one.promptTokens + 4 * 17)
        #expect(many.proxyV?.proxies == 5 * 4)
    }

    @Test func aMissingVisionTowerIsAClearError() throws {
        #expect {
            _ = try VisionLanguageModel(directory: Self.original, visionTower: "/nonexistent/clip")
        } throws: { error in
            "\(error)".contains("--vision-tower")
        }
    }
}
