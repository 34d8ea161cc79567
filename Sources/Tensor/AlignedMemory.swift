import Foundation
import Synchronization

/// Owned memory for matrices and packed weights.
///
/// Small buffers are 64-byte aligned (one AVX-512 register, one cache line). Large ones are
/// aligned to 2 MiB and marked `MADV_HUGEPAGE`, so that Linux (whose transparent huge pages are
/// usually in `madvise` mode) backs them with huge pages: decode streams every weight once per
/// token, and with 4 KiB pages its TLB misses cost about 8% of the read bandwidth on this machine
/// (a 1 GiB two-thread read: 41.5 GB/s against 46.5, the median of five interleaved pairs).
enum AlignedMemory {
    static let hugePage = 2 << 20

    /// `bytes` of uninitialised memory; release it with `free`.
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = max(bytes, 1)
        let alignment = size >= 2 * hugePage ? hugePage : 64
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, alignment, size) == 0, let raw else {
            fatalError("out of memory allocating \(size) bytes")
        }
        if alignment == hugePage { adviseHugePages(raw, bytes: size) }
        return raw
    }

    static func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        allocate(bytes: max(count, 1) * MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// Advice only: without transparent huge pages the memory stays in ordinary pages.
    static func adviseHugePages(_ start: UnsafeMutableRawPointer, bytes: Int) {
        _ = madvise(start, (bytes + hugePage - 1) / hugePage * hugePage, MADV_HUGEPAGE)
    }
}

/// Where converted weights live: most weight matrices are smaller than a huge page (SmolLM2's
/// q_proj is 0.66 MB in BF16), so each gets a 64-byte-aligned slice of a shared 64 MiB region
/// backed by huge pages. A slice keeps its region alive; the region is freed with its last slice.
public final class WeightArena: @unchecked Sendable {
    /// One region; matrices hold it as their owner.
    final class Region: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let size: Int
        var used = 0

        init(size: Int) {
            self.size = size
            base = AlignedMemory.allocate(bytes: size)
        }

        deinit { free(base) }
    }

    public static let shared = WeightArena()
    static let regionSize = 64 << 20

    private let current = Mutex<Region?>(nil)

    /// `count` uninitialised elements, and the object that keeps them alive.
    func allocate<T>(_ type: T.Type, count: Int) -> (UnsafeMutablePointer<T>, owner: AnyObject) {
        let bytes = (max(count, 1) * MemoryLayout<T>.stride + 63) / 64 * 64
        let (region, offset): (Region, Int) = current.withLock { current in
            if bytes > Self.regionSize / 4 { return (Region(size: bytes), 0) }  // large: a region of its own
            if let region = current, region.size - region.used >= bytes {
                defer { region.used += bytes }
                return (region, region.used)
            }
            let region = Region(size: Self.regionSize)
            region.used = bytes
            current = region
            return (region, 0)
        }
        return ((region.base + offset).bindMemory(to: T.self, capacity: max(count, 1)), region)
    }
}
