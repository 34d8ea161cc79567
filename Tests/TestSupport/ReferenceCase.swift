import Foundation
import Tensor

/// One case folder of `../shared/reference/<family>/<case>/` (see its README): `case.json`
/// with scalars and a `tensors` index, and the named tensors in `inputs`/`outputs`/`weights`
/// safetensors files.
public struct ReferenceCase: CustomStringConvertible, @unchecked Sendable {
    public let directory: URL
    public let json: [String: Any]
    private let files: [String: SafetensorsFile]

    /// The reference root: $VLM_REFERENCE_DIR, else `../shared/reference` beside the repository.
    public static var root: URL {
        if let path = ProcessInfo.processInfo.environment["VLM_REFERENCE_DIR"] { return URL(fileURLWithPath: path) }
        return Repository.root.deletingLastPathComponent().appendingPathComponent("shared/reference")
    }

    /// Every case folder of a family, by listing (new folders need no new code).
    public static func cases(_ family: String) -> [ReferenceCase] {
        let folder = root.appendingPathComponent(family)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { name in
            let directory = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("case.json").path) else { return nil }
            return try? ReferenceCase(directory: directory)
        }
    }

    public init(directory: URL) throws {
        self.directory = directory
        let data = try Data(contentsOf: directory.appendingPathComponent("case.json"))
        json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        var files: [String: SafetensorsFile] = [:]
        for name in ["inputs", "outputs", "weights"] {
            let path = directory.appendingPathComponent(name + ".safetensors").path
            if FileManager.default.fileExists(atPath: path) { files[name + ".safetensors"] = try SafetensorsFile(path: path) }
        }
        self.files = files
    }

    public var name: String { directory.lastPathComponent }
    public var description: String { "\(directory.deletingLastPathComponent().lastPathComponent)/\(name)" }

    /// The store of `weights.safetensors`, for building models.
    public func weights() throws -> TensorStore {
        try TensorStore(files: [directory.appendingPathComponent("weights.safetensors").path], label: description)
    }

    private func entry(_ name: String) -> (SafetensorsFile, SafetensorsFile.Entry)? {
        for file in files.values { if let entry = file.entries[name] { return (file, entry) } }
        return nil
    }

    public func has(_ name: String) -> Bool { entry(name) != nil }

    public func shape(_ name: String) -> [Int] { entry(name)?.1.shape ?? [] }

    public func floats(_ name: String) -> [Float] {
        guard let (file, entry) = entry(name) else { fatalError("\(self): no tensor '\(name)'") }
        precondition(entry.dtype == .f32, "\(name) is \(entry.dtype)")
        return Array(UnsafeBufferPointer(start: file.pointer(for: entry).assumingMemoryBound(to: Float.self), count: entry.elementCount))
    }

    public func ints(_ name: String) -> [Int] {
        guard let (file, entry) = entry(name) else { fatalError("\(self): no tensor '\(name)'") }
        let raw = file.pointer(for: entry)
        switch entry.dtype {
        case .i64: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Int64.self), count: entry.elementCount).map { Int($0) }
        case .i32: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Int32.self), count: entry.elementCount).map { Int($0) }
        case .f32: return UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: entry.elementCount).map { Int($0) }
        default: fatalError("\(name) is \(entry.dtype), not an integer tensor")
        }
    }

    public func matrix(_ name: String) -> Matrix {
        let values = floats(name)
        let shape = self.shape(name)
        let cols = shape.last ?? 1
        return Matrix(rows: values.count / cols, cols: cols, values: values)
    }

    public subscript(key: String) -> Any? { json[key] }
    public func int(_ key: String) -> Int { (json[key] as? NSNumber)?.intValue ?? 0 }
    public func float(_ key: String) -> Float { (json[key] as? NSNumber)?.floatValue ?? .nan }
    public func bool(_ key: String) -> Bool { (json[key] as? NSNumber)?.boolValue ?? false }
}

/// The repository's root, found from this file's path.
public enum Repository {
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// The README's tolerance: max |ours − ref| ≤ 1e-4 · max(1, max |ref|).
public func maxAbsDifference(_ ours: [Float], _ reference: [Float]) -> (difference: Float, bound: Float) {
    precondition(ours.count == reference.count, "\(ours.count) values against \(reference.count)")
    var difference: Float = 0, scale: Float = 1
    for i in ours.indices {
        difference = max(difference, abs(ours[i] - reference[i]))
        scale = max(scale, abs(reference[i]))
    }
    return (difference, 1e-4 * scale)
}

/// A test that cannot run because the machine is not set up: it fails, saying what to run.
public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
