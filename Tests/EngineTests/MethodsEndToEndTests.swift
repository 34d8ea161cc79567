@testable import Engine
import Foundation
import Testing
import TestSupport
import Tensor

/// The methods through the whole pipeline on tiny checkpoints (their numerics are checked against
/// the authors' code in MethodsTests): what they change, and what they must leave alone.
struct MethodsEndToEndTests {
    static let fixtures = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures").path
    static let tiny = fixtures + "/tiny-llava-clip-llama"
    static let busy = fixtures + "/photos/chelsea_451x300.jpg"
    static let flat = fixtures + "/simple/flat_blue_64x64.png"

    static func thresholds(_ value: Float, blocks: Int) -> DyMUThresholds {
        DyMUThresholds(model: tiny, mergesPerLayer: 8, images: nil, schedule: Array(repeating: 8, count: blocks),
                       thresholds: Array(repeating: value, count: blocks), source: "test")
    }

    func ask(_ vlm: VisionLanguageModel, _ image: String, _ reduction: VisualTokenReduction) throws -> Response {
        try vlm.run(Request(prompt: .chat("What is shown in this image?"), images: [image], maxNewTokens: 12, reduction: reduction))
    }

    @Test func dymuThatMergesNothingGivesTheUnmodifiedAnswer() throws {
        let vlm = try VisionLanguageModel(directory: Self.tiny)
        let blocks = vlm.imageEncoder!.tower.layers.count
        let plain = try ask(vlm, Self.busy, .none)
        for vtu in [true, false] {
            let dymu = try ask(vlm, Self.busy, .dymu(Self.thresholds(1.0, blocks: blocks), virtualUnmerging: vtu))
            #expect(dymu.tokens == plain.tokens, "thresholds of 1.0 (VTU \(vtu)) must not change the answer")
            #expect(dymu.visualTokens == plain.visualTokens)
            #expect(dymu.visionTokensPerLayer == [Array(repeating: vlm.imageEncoder!.vision.tokenCount, count: blocks)])
        }
    }

    @Test func simpleImagesKeepFewerTokensThanBusyOnes() throws {
        let vlm = try VisionLanguageModel(directory: Self.tiny)
        let blocks = vlm.imageEncoder!.tower.layers.count
        let thresholds = Self.thresholds(0.9, blocks: blocks)
        let flat = try ask(vlm, Self.flat, .dymu(thresholds, virtualUnmerging: true))
        let busy = try ask(vlm, Self.busy, .dymu(thresholds, virtualUnmerging: true))
        #expect(flat.visualTokens < busy.visualTokens, "flat \(flat.visualTokens) vs busy \(busy.visualTokens) visual tokens")
        #expect(flat.visualTokens < 16)
        // VTU: attention sees the unmerged length, so the prompt is as long as the plain one in virtual terms.
        let plain = try ask(vlm, Self.flat, .none)
        #expect(flat.virtualPromptTokens == plain.promptTokens)
        #expect(flat.promptTokens == plain.promptTokens - 16 + flat.visualTokens)
        // Without VTU the merged tokens are a plain shorter sequence.
        let shorter = try ask(vlm, Self.flat, .dymu(thresholds, virtualUnmerging: false))
        #expect(shorter.virtualPromptTokens == nil && shorter.visualTokens == flat.visualTokens)
    }

    @Test(arguments: [(5, 3), (8, 4), (17, 0)])
    func visionZipKeepsTheBudget(dominant: Int, contextual: Int) throws {
        let vlm = try VisionLanguageModel(directory: Self.tiny)
        let first = try ask(vlm, Self.busy, .visionZip(dominant: dominant, contextual: contextual))
        let second = try ask(vlm, Self.busy, .visionZip(dominant: dominant, contextual: contextual))
        #expect(first.visualTokens == dominant + contextual)
        #expect(first.tokens == second.tokens, "the answer is deterministic")
    }

    @Test func visionZipRefusesMoreTokensThanTheImageHas() throws {
        let vlm = try VisionLanguageModel(directory: Self.tiny)
        #expect(throws: EngineError.self) { try ask(vlm, Self.busy, .visionZip(dominant: 15, contextual: 3)) }
    }

    @Test func proxyVCheckpointRunsEndToEnd() throws {
        let vlm = try VisionLanguageModel(directory: Self.fixtures + "/tiny-llava-proxyv")
        let proxyV = try #require(vlm.languageModel.proxyV)
        let response = try ask(vlm, Self.busy, .none)
        let report = try #require(response.proxyV)
        #expect(report.layers == Array(proxyV.startLayer..<vlm.languageModel.config.layerCount))
        #expect(report.proxies == proxyV.proxiesPerCrop)
        #expect(report.prefillFLOPs < report.plainPrefillFLOPs)
        // The same layers run plainly (no proxies, no newline token).
        let plain = try vlm.run(Request(prompt: .chat("What is shown in this image?"), images: [Self.busy], maxNewTokens: 12, proxyV: false))
        #expect(plain.proxyV == nil)
        #expect(response.promptTokens == plain.promptTokens + 1, "one newline token after the crop")
    }

    @Test func learnedProxyCheckpointRunsEndToEnd() throws {
        let vlm = try VisionLanguageModel(directory: Self.fixtures + "/tiny-llava-proxyv-learned")
        #expect(vlm.languageModel.proxyV?.learnedProxies != nil)
        let response = try ask(vlm, Self.busy, .none)
        #expect(response.proxyV?.proxies == 4)
        #expect(response.tokens.count == 12)
    }

    @Test func proxyVCheckpointMissingATensorIsAnError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-proxyv-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: Self.fixtures + "/tiny-llava-proxyv", toPath: directory.path)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("model.safetensors")
        try SafetensorsWriter.write(try SafetensorsWriter.read(file).filter { !$0.0.contains("vision_mlp_layers.0.proj.2") }, to: file)
        #expect(throws: CheckpointError.self) { _ = try VisionLanguageModel(directory: directory.path) }
    }

    @Test func calibrationWritesUsableThresholds() throws {
        let vlm = try VisionLanguageModel(directory: Self.tiny)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-thresholds-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let calibration = try DyMUCalibration(model: vlm, folder: Self.fixtures + "/photos", mergesPerLayer: 2, batchSize: 3, output: output)
        var updates = 0
        let result = try calibration.run(resume: false) { _ in updates += 1 }
        #expect(updates >= 2)
        #expect(result.thresholds.count == vlm.imageEncoder!.tower.layers.count)
        #expect(result.thresholds.allSatisfy { $0 >= 0 && $0 <= 1 })
        let loaded = try DyMUThresholds.load(output)
        #expect(loaded == result)
        let response = try ask(vlm, Self.busy, .dymu(loaded, virtualUnmerging: true))
        #expect(response.visualTokens < 16, "calibrated thresholds merge something")
    }
}
