import Foundation

/// All tensors of a checkpoint directory: one `model.safetensors`, or the shards listed by
/// `model.safetensors.index.json`, or every `*.safetensors` file present.
public final class TensorStore: @unchecked Sendable {
    public let directory: String
    private var location: [String: (file: SafetensorsFile, entry: SafetensorsFile.Entry)] = [:]

    /// The checkpoint in `directory`: the shards listed by `model.safetensors.index.json`, or
    /// `model.safetensors` (the two forms transformers' `from_pretrained` reads).
    public convenience init(directory: String) throws {
        let fm = FileManager.default
        let indexPath = directory + "/model.safetensors.index.json"
        let singlePath = directory + "/model.safetensors"
        if fm.fileExists(atPath: indexPath) {
            guard let data = fm.contents(atPath: indexPath),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let weightMap = json["weight_map"] as? [String: String] else {
                throw CheckpointError.corrupt(file: indexPath, reason: "no weight_map object")
            }
            try self.init(files: Set(weightMap.values).sorted().map { directory + "/" + $0 }, label: directory)
        } else if fm.fileExists(atPath: singlePath) {
            try self.init(files: [singlePath], label: directory)
        } else {
            throw CheckpointError.unreadable(file: directory, reason: "no model.safetensors or model.safetensors.index.json")
        }
    }

    /// The tensors of the given safetensors files; `label` names them in errors.
    public init(files: [String], label: String) throws {
        directory = label
        for path in files {
            let file = try SafetensorsFile(path: path)
            for (key, entry) in file.entries { location[key] = (file, entry) }
        }
    }

    public var keys: [String] { Array(location.keys) }

    /// Bytes of all tensors as stored.
    public var totalBytes: Int { location.values.reduce(0) { $0 + $1.entry.byteCount } }

    /// Bytes of all tensors once loaded in `precision` (F16 widens to F32; BF16 may widen or stay).
    public func loadedBytes(_ precision: WeightPrecision) -> Int {
        location.values.reduce(0) { total, item in
            let elements = item.entry.elementCount
            switch (item.entry.dtype, precision) {
            case (.bf16, .asStored), (_, .bf16): return total + 2 * elements
            case (.f32, _), (.f16, _), (.bf16, .f32): return total + 4 * elements
            default: return total + item.entry.byteCount
            }
        }
    }
    public func contains(_ key: String) -> Bool { location[key] != nil }
    public func shape(of key: String) -> [Int]? { location[key]?.entry.shape }
    public func dtype(of key: String) -> DType? { location[key]?.entry.dtype }

    /// The tensor `key` as Float32 values in a matrix of `rows × cols` (its shape flattened to 2-D).
    /// F32 tensors are used in place from the mapping; F16/BF16 are widened into owned memory.
    public func matrix(_ key: String, rows: Int, cols: Int) throws -> Matrix {
        guard let (file, entry) = location[key] else { throw CheckpointError.missingTensor(key: key, in: directory) }
        guard entry.elementCount == rows * cols else {
            throw CheckpointError.shapeMismatch(key: key, expected: [rows, cols], found: entry.shape)
        }
        let raw = file.pointer(for: entry)
        switch entry.dtype {
        case .f32 where Int(bitPattern: raw) % MemoryLayout<Float>.alignment == 0:
            return Matrix(rows: rows, cols: cols, borrowing: raw.assumingMemoryBound(to: Float.self), owner: file)
        case .f32:
            let m = Matrix(rows: rows, cols: cols)
            memcpy(m.data, raw, entry.byteCount)
            return m
        case .bf16:
            let m = Matrix(rows: rows, cols: cols)
            Widen.bf16(raw.assumingMemoryBound(to: UInt16.self), into: m.data, count: m.count)
            return m
        case .f16:
            let m = Matrix(rows: rows, cols: cols)
            Widen.f16(raw.assumingMemoryBound(to: UInt16.self), into: m.data, count: m.count)
            return m
        case .f64:
            let m = Matrix(rows: rows, cols: cols)
            Widen.f64(raw.assumingMemoryBound(to: Double.self), into: m.data, count: m.count)
            return m
        default:
            throw CheckpointError.unsupportedDType(key: key, dtype: entry.dtype.rawValue)
        }
    }

    /// Releases the mapped pages of `key` after it was converted (see SafetensorsFile.releasePages).
    public func releasePages(of key: String) {
        if let (file, entry) = location[key] { file.releasePages(of: entry) }
    }

    /// A BF16 tensor used in place from the mapping.
    public func bf16Matrix(_ key: String, rows: Int, cols: Int) throws -> BF16Matrix {
        guard let (file, entry) = location[key] else { throw CheckpointError.missingTensor(key: key, in: directory) }
        guard entry.dtype == .bf16, entry.elementCount == rows * cols else {
            throw CheckpointError.shapeMismatch(key: key, expected: [rows, cols], found: entry.shape)
        }
        let raw = file.pointer(for: entry)
        if Int(bitPattern: raw) % 2 == 0 {
            return BF16Matrix(rows: rows, cols: cols, borrowing: raw.assumingMemoryBound(to: UInt16.self), owner: file)
        }
        let copy = UnsafeMutablePointer<UInt16>.allocate(capacity: rows * cols)
        memcpy(copy, raw, entry.byteCount)
        return BF16Matrix(rows: rows, cols: cols, borrowing: copy, owner: OwnedBuffer(copy))
    }

    /// A 1-D tensor of `count` values (norm weights, biases).
    public func vector(_ key: String, count: Int) throws -> [Float] {
        try matrix(key, rows: 1, cols: count).toArray()
    }
}

/// A view of a `TensorStore` under a key prefix, as candle's VarBuilder: model code asks for
/// `weights.scoped("layers.3").matrix("self_attn.q_proj.weight", ...)`, and a missing tensor is
/// reported with its full key as the file would spell it.
public struct WeightSource: Sendable {
    public let store: TensorStore
    public let prefix: String
    /// How Linear weights are kept in memory.
    public let precision: WeightPrecision

    public init(store: TensorStore, prefix: String = "", precision: WeightPrecision = .asStored) {
        self.store = store
        self.prefix = prefix
        self.precision = precision
    }

    public func scoped(_ name: String) -> WeightSource {
        WeightSource(store: store, prefix: prefix + name + ".", precision: precision)
    }

    /// A Linear weight `[rows, cols]` packed for the precision asked for: exact F32 products
    /// from BF16 panels for BF16 tensors kept as stored, from F32 panels for everything else;
    /// BF16 dot products when BF16 is asked for (F32 tensors rounded). The mapped pages of the
    /// tensor are released once it is packed, so that only the packed copy stays resident.
    public func linearWeight(_ name: String, _ rows: Int, _ cols: Int) throws -> Linear.Weight {
        let key = prefix + name
        if let shape = store.shape(of: key), shape != [rows, cols] {
            throw CheckpointError.shapeMismatch(key: key, expected: [rows, cols], found: shape)
        }
        switch (store.dtype(of: key), precision) {
        case (.bf16?, .asStored):
            let packed = PackedF32Matrix(packing: try store.bf16Matrix(key, rows: rows, cols: cols))
            store.releasePages(of: key)
            return .packedF32(packed)
        case (.bf16?, .bf16):
            let packed = PackedBF16Matrix(packing: try store.bf16Matrix(key, rows: rows, cols: cols))
            store.releasePages(of: key)
            return .packedBF16(packed)
        case (_, .bf16):
            let packed = PackedBF16Matrix(rounding: try store.matrix(key, rows: rows, cols: cols))
            store.releasePages(of: key)
            return .packedBF16(packed)
        default:
            let packed = PackedF32Matrix(packing: try store.matrix(key, rows: rows, cols: cols))
            store.releasePages(of: key)
            return .packedF32(packed)
        }
    }

    public func key(_ name: String) -> String { prefix + name }
    public func contains(_ name: String) -> Bool { store.contains(prefix + name) }

    /// A weight of shape `[rows, cols]` exactly (a Linear's `[out, in]`).
    public func matrix(_ name: String, _ rows: Int, _ cols: Int) throws -> Matrix {
        let key = prefix + name
        if let shape = store.shape(of: key), shape != [rows, cols] {
            throw CheckpointError.shapeMismatch(key: key, expected: [rows, cols], found: shape)
        }
        return try store.matrix(key, rows: rows, cols: cols)
    }

    /// A weight of any shape whose element count is `rows * cols` (e.g. a conv kernel [out, c, p, p]).
    public func flattened(_ name: String, shape: [Int]) throws -> Matrix {
        let key = prefix + name
        if let found = store.shape(of: key), found != shape {
            throw CheckpointError.shapeMismatch(key: key, expected: shape, found: found)
        }
        let cols = shape.dropFirst().reduce(1, *)
        return try store.matrix(key, rows: shape.first ?? 1, cols: cols)
    }

    public func vector(_ name: String, _ count: Int) throws -> [Float] {
        let key = prefix + name
        if let shape = store.shape(of: key), shape != [count] {
            throw CheckpointError.shapeMismatch(key: key, expected: [count], found: shape)
        }
        return try store.vector(key, count: count)
    }

    public func optionalVector(_ name: String, _ count: Int) throws -> [Float]? {
        contains(name) ? try vector(name, count) : nil
    }
}

/// Frees a buffer when the last matrix borrowing it goes away.
final class OwnedBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt16>
    init(_ pointer: UnsafeMutablePointer<UInt16>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}
