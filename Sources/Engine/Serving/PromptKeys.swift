import Crypto
import Foundation

/// One key per cache row of a prompt, for the prefix cache: a text row's token id; an image
/// row's key mixes a hash of everything that decides its keys and values (the image's pixels,
/// the method and its settings, VTU, ProxyV) with its offset in the image's block. Rows before
/// it need not be in the key: a prefix matches only from the first row on.
struct PromptKeys {
    let keys: [UInt64]
    /// Cache rows up to the end of the last image block (0 without images).
    let endOfLastImage: Int

    init(prepared: VisionLanguageModel.PreparedRequest, digests: [String], request: ServeRequest) {
        let input = prepared.input
        let bases = digests.map { digest in
            let settings = ImageEmbeddingCache.key(digest: digest, reduction: request.reduction, proxyV: request.proxyV)
                + "|vtu=\(request.reduction.unmergesVirtually)"
            return SHA256.hash(data: Data(settings.utf8)).prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
        var keys: [UInt64] = []
        keys.reserveCapacity(input.cacheRows)
        var endOfLastImage = 0, offset: UInt64 = 0, previousImage = -1
        for cacheRow in 0..<input.cacheRows {
            let row = input.virtualRows.map { Int($0[cacheRow]) } ?? cacheRow
            switch prepared.rowSources[row] {
            case let .token(id):
                keys.append(UInt64(UInt32(truncatingIfNeeded: id)))
                previousImage = -1
            case let .image(image):
                offset = image == previousImage ? offset + 1 : 0
                previousImage = image
                // High bit set: never equal to a token's key.
                keys.append(Self.mix(bases[image] &+ offset) | 1 << 63)
                endOfLastImage = cacheRow + 1
            }
        }
        self.keys = keys
        self.endOfLastImage = endOfLastImage
    }

    /// SplitMix64's finaliser: offsets next to each other give unrelated keys.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
