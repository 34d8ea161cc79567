import Foundation
import Tensor

/// One case folder of `../shared/reference/<family>/<case>/` (see its README): `case.json`
/// with scalars and a `tensors` index, and the named tensors in `inputs`/`outputs`/`weights`
/// safetensors files.
///
/// Strict by design: every accessor throws `ReferenceError` naming the case and the key or tensor
/// it could not find or read, so a damaged case fails as that case (never the whole test process,
/// never a default value that a comparison might happen to accept).
public struct ReferenceCase: CustomStringConvertible, @unchecked Sendable {
    public let directory: URL
    private let json: [String: Any]
    private let files: [String: SafetensorsFile]

    /// The reference root: $VLM_REFERENCE_DIR, else `../shared/reference` beside the repository.
    public static var root: URL {
        if let path = ProcessInfo.processInfo.environment["VLM_REFERENCE_DIR"] { return URL(fileURLWithPath: path) }
        return Repository.root.deletingLastPathComponent().appendingPathComponent("shared/reference")
    }

    /// Every case folder of a family, by listing (new folders need no new code), for
    /// `@Test(arguments:)`. Folders are opened by the test, so one that cannot be read fails as
    /// that case. A family folder that is missing or empty gives one placeholder whose opening
    /// fails, so a parameterised test cannot pass on zero cases.
    public static func cases(_ family: String) -> [Folder] {
        do {
            return try caseNames(family).map { Folder(family: family, name: $0, problem: nil) }
        } catch {
            return [Folder(family: family, name: "(no cases)", problem: "\(error)")]
        }
    }

    /// The case folders of a family (every subfolder, sorted); throws if there are none.
    public static func caseNames(_ family: String) throws -> [String] {
        let folder = root.appendingPathComponent(family)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw ReferenceError("no reference family folder \(folder.path) (set VLM_REFERENCE_DIR or see ../shared/reference/README.md)")
        }
        let cases = names.sorted().filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        guard !cases.isEmpty else { throw ReferenceError("no case folders in \(folder.path)") }
        return cases
    }

    /// A listed case folder, not yet read; named "family/case" in test output.
    public struct Folder: CustomStringConvertible, Sendable {
        public let family: String
        public let name: String
        let problem: String?

        public var description: String { "\(family)/\(name)" }

        /// Reads the case; throws if the family had no cases or the folder cannot be read.
        public func open() throws -> ReferenceCase {
            if let problem { throw ReferenceError(problem) }
            return try ReferenceCase(directory: ReferenceCase.root.appendingPathComponent(family).appendingPathComponent(name))
        }
    }

    public init(directory: URL) throws {
        self.directory = directory
        let label = "\(directory.deletingLastPathComponent().lastPathComponent)/\(directory.lastPathComponent)"
        let data: Data
        do {
            data = try Data(contentsOf: directory.appendingPathComponent("case.json"))
        } catch {
            throw ReferenceError("\(label): cannot read case.json (\(error.localizedDescription))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReferenceError("\(label): case.json is not a JSON object")
        }
        json = object
        var files: [String: SafetensorsFile] = [:]
        for name in ["inputs", "outputs", "weights"] {
            let path = directory.appendingPathComponent(name + ".safetensors").path
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do {
                files[name + ".safetensors"] = try SafetensorsFile(path: path)
            } catch {
                throw ReferenceError("\(label): cannot read \(name).safetensors (\(error))")
            }
        }
        self.files = files
    }

    public var name: String { directory.lastPathComponent }
    public var description: String { "\(directory.deletingLastPathComponent().lastPathComponent)/\(name)" }

    /// The store of `weights.safetensors`, for building models.
    public func weights() throws -> TensorStore {
        try TensorStore(files: [directory.appendingPathComponent("weights.safetensors").path], label: description)
    }

    // MARK: Tensors

    private func entry(_ name: String) throws -> (SafetensorsFile, SafetensorsFile.Entry) {
        for file in files.values { if let entry = file.entries[name] { return (file, entry) } }
        throw ReferenceError("\(self): no tensor '\(name)'")
    }

    /// Whether the case stores tensor `name` (for tensors the README says may be absent).
    public func has(_ name: String) -> Bool { (try? entry(name)) != nil }

    public func shape(_ name: String) throws -> [Int] { try entry(name).1.shape }

    /// A float32 tensor's values, flattened.
    public func floats(_ name: String) throws -> [Float] {
        let (file, entry) = try entry(name)
        guard entry.dtype == .f32 else { throw ReferenceError("\(self): tensor '\(name)' is \(entry.dtype), not float32") }
        return Array(UnsafeBufferPointer(start: file.pointer(for: entry).assumingMemoryBound(to: Float.self), count: entry.elementCount))
    }

    /// An integer tensor's values (int64 or int32; float32 holding whole numbers is accepted too), flattened.
    public func ints(_ name: String) throws -> [Int] {
        let (file, entry) = try entry(name)
        let raw = file.pointer(for: entry)
        switch entry.dtype {
        case .i64: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Int64.self), count: entry.elementCount).map { Int($0) }
        case .i32: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Int32.self), count: entry.elementCount).map { Int($0) }
        case .f32: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: entry.elementCount).map { Int($0) }
        default: throw ReferenceError("\(self): tensor '\(name)' is \(entry.dtype), not an integer tensor")
        }
    }

    /// A float32 tensor as rows of its last dimension.
    public func matrix(_ name: String) throws -> Matrix {
        let values = try floats(name)
        let cols = try shape(name).last ?? 1
        return Matrix(rows: values.count / cols, cols: cols, values: values)
    }

    // MARK: case.json

    /// The value at `key`, or at `section.key` for a key inside an object such as `config`.
    private func value(_ key: String, in section: String?) throws -> Any {
        var object = json
        if let section {
            guard let inner = json[section] as? [String: Any] else { throw ReferenceError("\(self): case.json has no object '\(section)'") }
            object = inner
        }
        guard let value = object[key] else {
            throw ReferenceError("\(self): case.json has no key '\(section.map { $0 + "." } ?? "")\(key)'")
        }
        return value
    }

    private func number(_ key: String, in section: String?) throws -> NSNumber {
        let value = try value(key, in: section)
        guard let number = value as? NSNumber else {
            throw ReferenceError("\(self): case.json '\(section.map { $0 + "." } ?? "")\(key)' is \(value), not a number")
        }
        return number
    }

    public func int(_ key: String, in section: String? = nil) throws -> Int {
        let number = try number(key, in: section)
        guard let int = Int(exactly: number.doubleValue) else {
            throw ReferenceError("\(self): case.json '\(section.map { $0 + "." } ?? "")\(key)' is \(number), not an integer")
        }
        return int
    }

    public func float(_ key: String, in section: String? = nil) throws -> Float { try number(key, in: section).floatValue }

    public func bool(_ key: String, in section: String? = nil) throws -> Bool {
        let value = try value(key, in: section)
        guard let bool = value as? Bool else {
            throw ReferenceError("\(self): case.json '\(section.map { $0 + "." } ?? "")\(key)' is \(value), not true or false")
        }
        return bool
    }

    /// Any other case.json value (lists, objects, strings, configs), decoded as `type`.
    public func decode<T: Decodable>(_ type: T.Type, _ key: String, in section: String? = nil) throws -> T {
        let value = try value(key, in: section)
        do {
            let data = try JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed])
            return try JSONDecoder().decode([T].self, from: data)[0]
        } catch {
            throw ReferenceError("\(self): case.json '\(section.map { $0 + "." } ?? "")\(key)' is not a \(T.self): \(error)")
        }
    }
}

/// A reference case (or family) that cannot be read, or lacks a key or tensor a test needs.
public struct ReferenceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
