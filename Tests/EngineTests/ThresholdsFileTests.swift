@testable import Engine
import Foundation
import Testing
import TestSupport

/// The thresholds file: the converter for DyMU's released checkpoints, and bad files.
struct ThresholdsFileTests {
    @Test func convertsTheReleasedFormat() throws {
        let checkpoint = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures/dymu/released-format.pth").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-dymu-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repository.root.appendingPathComponent("scripts/convert_dymu_thresholds.py").path,
                             checkpoint, output, "--merges-per-layer", "21"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let thresholds = try DyMUThresholds.load(output)
        #expect(thresholds.model == "ViT-L-14-336-tome-72out")
        #expect(thresholds.thresholds.count == 24)
        for (i, value) in thresholds.thresholds.enumerated() { #expect(abs(value - (0.5 + Float(i) / 100)) < 1e-6) }
        #expect(thresholds.mergingLayers == Array(repeating: true, count: 24))
    }

    @Test func rejectsInconsistentFiles() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-bad-\(UUID().uuidString).json").path
        try Data(#"{"format": "vlm-dymu-thresholds", "model": "x", "schedule": [1, 1], "thresholds": [0.5]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: EngineError.self) { try DyMUThresholds.load(path) }
        #expect(throws: EngineError.self) { try DyMUThresholds.load("/nonexistent/thresholds.json") }
    }
}
