import Foundation

/// One `.safetensors` file, memory-mapped.
///
/// Format (https://github.com/huggingface/safetensors#format): an 8-byte little-endian header
/// length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
/// then the tensor bytes; offsets are relative to the end of the header. Every entry is validated
/// against the file size when the file is opened, so a truncated download fails here, naming the
/// file and the first tensor that does not fit, instead of faulting later inside a kernel.
public final class SafetensorsFile: @unchecked Sendable {
    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte offset of the first element from the start of the mapping.
        public let offset: Int
        public let byteCount: Int
        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let path: String
    public let entries: [String: Entry]
    private let base: UnsafeMutableRawPointer
    private let length: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CheckpointError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        length = Int(info.st_size)
        guard length >= 8 else { throw CheckpointError.corrupt(file: path, reason: "file is \(length) bytes, shorter than the 8-byte header length") }
        // MAP_PRIVATE + PROT_WRITE: pages are copy-on-write, so a stray write can never change the file.
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw CheckpointError.unreadable(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = mapped
        do {
            entries = try Self.parseHeader(base: mapped, length: length, path: path)
        } catch {
            munmap(mapped, length)
            throw error
        }
    }

    deinit { munmap(base, length) }

    public func pointer(for entry: Entry) -> UnsafeMutableRawPointer { base + entry.offset }

    /// Drops the mapped pages of a tensor that was converted into memory of its own, so they stop
    /// counting as resident (they would be read back from the file if touched again).
    public func releasePages(of entry: Entry) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (entry.offset + page - 1) / page * page
        let end = (entry.offset + entry.byteCount) / page * page
        if end > start { madvise(base + start, end - start, MADV_DONTNEED) }
    }

    private static func parseHeader(base: UnsafeMutableRawPointer, length: Int, path: String) throws -> [String: Entry] {
        let headerLength = Int(UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)))
        guard headerLength > 0, headerLength <= length - 8 else {
            throw CheckpointError.corrupt(file: path, reason: "header length \(headerLength) does not fit in \(length) bytes")
        }
        let headerData = Data(bytesNoCopy: base + 8, count: headerLength, deallocator: .none)
        guard let json = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw CheckpointError.corrupt(file: path, reason: "header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        var entries: [String: Entry] = [:]
        for (name, value) in json where name != "__metadata__" {
            guard let fields = value as? [String: Any],
                  let dtypeName = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int],
                  let offsets = fields["data_offsets"] as? [Int], offsets.count == 2 else {
                throw CheckpointError.corrupt(file: path, reason: "bad header entry for '\(name)'")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw CheckpointError.unsupportedDType(key: name, dtype: dtypeName)
            }
            let byteCount = offsets[1] - offsets[0]
            let expected = shape.reduce(1, *) * dtype.byteSize
            guard offsets[0] >= 0, byteCount == expected else {
                throw CheckpointError.corrupt(file: path, reason: "tensor '\(name)' spans \(byteCount) bytes but shape \(shape) of \(dtypeName) needs \(expected)")
            }
            guard dataStart + offsets[1] <= length else {
                throw CheckpointError.truncated(file: path, tensor: name, needed: dataStart + offsets[1], available: length)
            }
            entries[name] = Entry(dtype: dtype, shape: shape, offset: dataStart + offsets[0], byteCount: byteCount)
        }
        return entries
    }
}
