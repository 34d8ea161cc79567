import Foundation
import Tensor

/// One case of a tiny LLaVA fixture (Tests/EngineTests/Fixtures/*, made by scripts/make_llava_refs.py):
/// the fixture's checkpoint and config, and transformers' tensors for the case's images, stored as
/// `<case>.<tensor>` in reference.safetensors. The model-part tests (ViT, Projector) share these
/// fixtures with EngineTests by path.
public struct LlavaFixtureCase: CustomStringConvertible, Sendable {
    public let fixture: FixtureDirectory
    public let name: String
    let problem: String?

    public var description: String { "\(fixture)/\(name)" }

    static let fixtureRoot = "Tests/EngineTests/Fixtures"

    /// Every case of every fixture holding a reference.json, by listing, for `@Test(arguments:)`.
    /// A fixture whose reference.json cannot be read, or no fixtures at all, gives a case whose
    /// reading fails, so a parameterised test cannot pass on zero cases.
    public static func all() -> [LlavaFixtureCase] {
        let fixtures = FixtureDirectory.all(under: fixtureRoot)
        guard !fixtures.isEmpty else {
            return [LlavaFixtureCase(fixture: FixtureDirectory(path: fixtureRoot), name: "(no fixtures)",
                                     problem: "no fixture with a reference.json under \(fixtureRoot) (scripts/make_llava_refs.py)")]
        }
        return fixtures.flatMap { fixture -> [LlavaFixtureCase] in
            do {
                return try caseNames(fixture).map { LlavaFixtureCase(fixture: fixture, name: $0, problem: nil) }
            } catch {
                return [LlavaFixtureCase(fixture: fixture, name: "(unreadable)", problem: "\(error)")]
            }
        }
    }

    static func caseNames(_ fixture: FixtureDirectory) throws -> [String] {
        let reference = try JSONFile.object(at: fixture.path + "/reference.json")
        guard let cases = reference["cases"] as? [[String: Any]] else { throw ReferenceError("\(fixture): reference.json has no 'cases' list") }
        return try cases.map {
            guard let name = $0["name"] as? String else { throw ReferenceError("\(fixture): a case in reference.json has no name") }
            return name
        }
    }

    private func checkReadable() throws {
        if let problem { throw ReferenceError(problem) }
    }

    /// The fixture's config.json.
    public func config() throws -> [String: Any] {
        try checkReadable()
        return try JSONFile.object(at: fixture.path + "/config.json")
    }

    /// The fixture's checkpoint (model.safetensors).
    public func checkpoint() throws -> TensorStore {
        try checkReadable()
        return try TensorStore(directory: fixture.path)
    }

    /// Transformers' tensor `<case>.<name>`, flattened, with its shape.
    public func tensor(_ name: String) throws -> (values: [Float], shape: [Int]) {
        try checkReadable()
        let store = try TensorStore(files: [fixture.path + "/reference.safetensors"], label: fixture.description)
        let key = "\(self.name).\(name)"
        guard let shape = store.shape(of: key) else { throw ReferenceError("\(self): no tensor '\(key)' in reference.safetensors") }
        return (try store.vector(key, count: shape.reduce(1, *)), shape)
    }
}

extension TensorStore {
    /// The key prefix under which this checkpoint stores `probe` (e.g. "model.vision_tower." for
    /// "embeddings.patch_embedding.weight"): checkpoints of different transformers versions put
    /// the same tensors under different prefixes, and a model-part test needs only its own part.
    public func prefix(of probe: String) throws -> String {
        let matches = keys.filter { $0 == probe || $0.hasSuffix("." + probe) }
        guard matches.count == 1 else {
            throw ReferenceError("\(directory): \(matches.isEmpty ? "no" : "\(matches.count)") tensors named '…\(probe)'")
        }
        return String(matches[0].dropLast(probe.count))
    }
}

/// A JSON object file, with errors that name the file.
enum JSONFile {
    static func object(at path: String) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw ReferenceError("cannot read \(path): \(error.localizedDescription)") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReferenceError("\(path) is not a JSON object")
        }
        return object
    }
}
