import Crypto
import Foundation
import ImageProcessing

/// Projected image rows kept for images seen again, so that no image is encoded twice.
///
/// The key is a SHA-256 of the *decoded* pixels (the same photo sent as PNG or JPEG-from-file
/// or by another name is the same image; a different one cannot collide on purpose) together
/// with everything else that changes the rows: the reduction method and its settings, and
/// whether ProxyV needs full grids.
struct ImageEmbeddingCache {
    private var rows: ByteBoundedLRU<String, [ProjectedCrop]>
    private(set) var hits = 0
    private(set) var misses = 0

    init(limit: Int) { rows = ByteBoundedLRU(limit: limit) }

    var bytes: Int { rows.bytes }

    /// The digest of an image's decoded pixels.
    static func digest(_ image: RGBImage) -> String {
        var hash = SHA256()
        withUnsafeBytes(of: (Int64(image.width), Int64(image.height))) { hash.update(bufferPointer: $0) }
        image.pixels.withUnsafeBytes { hash.update(bufferPointer: $0) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func key(digest: String, reduction: VisualTokenReduction, proxyV: Bool) -> String {
        "\(digest)|\(reduction.cacheDescription)|proxyv=\(proxyV)"
    }

    mutating func crops(for key: String) -> [ProjectedCrop]? {
        let found = rows.value(key)
        if found == nil { misses += 1 } else { hits += 1 }
        return found
    }

    mutating func insert(_ crops: [ProjectedCrop], for key: String) {
        let size = crops.reduce(0) { $0 + $1.embeddings.count * 4 + ($1.virtualRows?.count ?? 0) * 4 }
        rows.insert(crops, bytes: size, for: key)
    }
}

extension VisualTokenReduction {
    /// Everything about the method that changes an image's rows (VTU changes only the LLM's attention).
    var cacheDescription: String {
        switch self {
        case .none: "none"
        case let .dymu(thresholds, _):
            "dymu:" + zip(thresholds.thresholds, thresholds.mergingLayers).map { "\($0.bitPattern)\($1 ? "m" : "")" }.joined(separator: ",")
        case let .visionZip(dominant, contextual): "visionzip:\(dominant)+\(contextual)"
        }
    }
}
