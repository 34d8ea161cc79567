import Foundation
import Testing
import TestSupport

/// Bad input through the `vlm` tool itself: each gets one line on stderr that names the problem,
/// and a non-zero exit; never a crash.
struct CommandLineErrorTests {
    static let tiny = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures/tiny-llava-clip-llama").path
    static let photo = Repository.root.appendingPathComponent("Tests/EngineTests/Fixtures/photos/chelsea_451x300.jpg").path

    /// Runs the `vlm` built next to this test binary.
    static func vlm(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("vlm")
        guard FileManager.default.fileExists(atPath: binary.path) else {
            throw SetupError("no vlm executable at \(binary.path): build it first (scripts/test.sh does)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// A copy of the tiny checkpoint in a temporary directory, for damaging.
    static func copyOfTiny() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-test-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: tiny, toPath: directory.path)
        return directory
    }

    /// A copy of the tiny checkpoint whose config.json has `change` made to its text_config.
    static func copyOfTiny(changingTextConfig change: (inout [String: Any]) -> Void) throws -> URL {
        let directory = try copyOfTiny()
        let configURL = directory.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        var text = config["text_config"] as! [String: Any]
        change(&text)
        config["text_config"] = text
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return directory
    }

    func expectOneLineError(_ arguments: [String], mentioning words: [String], _ what: String) throws {
        let (status, _, stderr) = try Self.vlm(arguments)
        #expect(status != 0, "\(what): exit status")
        #expect(status != 132 && status != 134 && status != 139, "\(what): crashed with status \(status)")
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "\(what): stderr should be one line, got \(stderr.debugDescription)")
        for word in words { #expect(stderr.contains(word), "\(what): '\(stderr)' should mention \(word)") }
    }

    @Test func missingModelDirectory() throws {
        try expectOneLineError(["ask", "--model", "/nonexistent/model", Self.photo, "hi"], mentioning: ["/nonexistent/model"], "missing directory")
    }

    @Test func missingImage() throws {
        try expectOneLineError(["ask", "--model", Self.tiny, "/nonexistent/photo.jpg", "hi"], mentioning: ["/nonexistent/photo.jpg"], "missing image")
    }

    @Test func corruptImage() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-corrupt-\(UUID().uuidString).jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        try expectOneLineError(["ask", "--model", Self.tiny, url.path, "hi"], mentioning: [url.lastPathComponent], "corrupt image")
    }

    @Test func truncatedCheckpoint() throws {
        let directory = try Self.copyOfTiny()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        try expectOneLineError(["ask", "--model", directory.path, Self.photo, "hi"], mentioning: ["model.safetensors", "truncated"], "truncated checkpoint")
    }

    @Test func missingTensor() throws {
        let directory = try Self.copyOfTiny()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("model.safetensors")
        let tensors = try SafetensorsWriter.read(file).filter { !$0.0.hasSuffix("layers.1.mlp.up_proj.weight") }
        try SafetensorsWriter.write(tensors, to: file)
        try expectOneLineError(["ask", "--model", directory.path, Self.photo, "hi"], mentioning: ["layers.1.mlp.up_proj.weight"], "missing tensor")
    }

    @Test func configDisagreesWithShapes() throws {
        let directory = try Self.copyOfTiny { $0["intermediate_size"] = ($0["intermediate_size"] as! Int) + 8 }
        defer { try? FileManager.default.removeItem(at: directory) }
        try expectOneLineError(["ask", "--model", directory.path, Self.photo, "hi"], mentioning: ["gate_proj.weight", "shape"], "config/shape mismatch")
    }

    @Test func configFieldOfTheWrongType() throws {
        let directory = try Self.copyOfTiny { $0["hidden_size"] = "\($0["hidden_size"] as! Int)" }
        defer { try? FileManager.default.removeItem(at: directory) }
        try expectOneLineError(["ask", "--model", directory.path, Self.photo, "hi"],
                               mentioning: [directory.path + "/config.json: field 'text_config.hidden_size': expected Int"], "wrong-typed config field")
    }

    @Test func unknownOption() throws {
        try expectOneLineError(["ask", "--model", Self.tiny, "--frobnicate", Self.photo, "hi"], mentioning: ["--frobnicate"], "unknown option")
    }

    @Test func promptLongerThanContext() throws {
        let long = String(repeating: "hello world ", count: 5000)
        try expectOneLineError(["generate", "--model", Self.tiny, "--raw", long], mentioning: ["context"], "prompt too long")
    }

    @Test func visionZipBudgetLargerThanTheImage() throws {
        try expectOneLineError(["ask", "--model", Self.tiny, "--reduction", "visionzip", "--dominant", "30", "--contextual", "10", Self.photo, "hi"],
                               mentioning: ["VisionZip", "17"], "VisionZip budget")
    }

    @Test func missingThresholdsFile() throws {
        try expectOneLineError(["ask", "--model", Self.tiny, "--reduction", "dymu", "--thresholds", "/nonexistent/t.json", Self.photo, "hi"],
                               mentioning: ["/nonexistent/t.json"], "missing thresholds")
    }

    @Test func imageCountDisagreesWithPrompt() throws {
        try expectOneLineError(["ask", "--model", Self.tiny, "--raw", Self.photo, "USER: no image marker here ASSISTANT:"],
                               mentioning: ["image"], "image count")
    }
}
