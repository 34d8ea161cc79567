import Foundation

/// Writes a safetensors file (header JSON + raw bytes), for tests that need damaged or altered checkpoints.
public enum SafetensorsWriter {
    public struct Tensor {
        public let dtype: String
        public let shape: [Int]
        public let bytes: Data
        public init(dtype: String, shape: [Int], bytes: Data) {
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    public static func write(_ tensors: [(String, Tensor)], to url: URL) throws {
        var header: [String: Any] = [:]
        var offset = 0
        var body = Data()
        for (name, tensor) in tensors {
            header[name] = ["dtype": tensor.dtype, "shape": tensor.shape, "data_offsets": [offset, offset + tensor.bytes.count]]
            offset += tensor.bytes.count
            body.append(tensor.bytes)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var length = UInt64(json.count).littleEndian
        var file = Data(bytes: &length, count: 8)
        file.append(json)
        file.append(body)
        try file.write(to: url)
    }

    /// Every tensor of an existing file, as raw bytes, in file order.
    public static func read(_ url: URL) throws -> [(String, Tensor)] {
        let data = try Data(contentsOf: url)
        let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        return header.compactMap { name, value -> (String, Tensor, Int)? in
            guard let entry = value as? [String: Any], let offsets = entry["data_offsets"] as? [Int] else { return nil }
            let bytes = data.subdata(in: (8 + length + offsets[0])..<(8 + length + offsets[1]))
            return (name, Tensor(dtype: entry["dtype"] as! String, shape: entry["shape"] as! [Int], bytes: bytes), offsets[0])
        }.sorted { $0.2 < $1.2 }.map { ($0.0, $0.1) }
    }
}
