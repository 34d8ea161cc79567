import Foundation
import Testing

/// Records an issue unless `ours` is within the README's tolerance of `theirs`:
/// max |ours − theirs| ≤ tolerance · max(1, max |theirs|) (1e-4 unless said otherwise).
public func expectClose(_ ours: [Float], _ theirs: [Float], _ what: String, tolerance: Float = 1e-4,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    guard ours.count == theirs.count else {
        Issue.record("\(what): \(ours.count) values against \(theirs.count)", sourceLocation: sourceLocation)
        return
    }
    let (difference, bound) = maxAbsDifference(ours, theirs, tolerance: tolerance)
    #expect(difference <= bound, "\(what) differs by \(difference)", sourceLocation: sourceLocation)
}

/// The largest |ours − reference| and the README's bound for it, tolerance · max(1, max |reference|).
/// Arrays of different lengths differ by infinity (a failed expectation, not a crashed test process).
public func maxAbsDifference(_ ours: [Float], _ reference: [Float], tolerance: Float = 1e-4) -> (difference: Float, bound: Float) {
    guard ours.count == reference.count else { return (.infinity, 0) }
    var difference: Float = 0, scale: Float = 1
    for i in ours.indices {
        difference = max(difference, abs(ours[i] - reference[i]))
        scale = max(scale, abs(reference[i]))
    }
    return (difference, tolerance * scale)
}

/// A checkpoint fixture directory, named by its last path component in test output.
public struct FixtureDirectory: CustomStringConvertible, Sendable {
    public let path: String
    public var description: String { (path as NSString).lastPathComponent }

    /// Every directory under `relativeRoot` (from the repository root) holding `marker`, by
    /// listing: new fixtures need no new code.
    public static func all(under relativeRoot: String, containing marker: String = "reference.json") -> [FixtureDirectory] {
        let root = Repository.root.appendingPathComponent(relativeRoot).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().map { root + "/" + $0 }
            .filter { FileManager.default.fileExists(atPath: $0 + "/" + marker) }
            .map(FixtureDirectory.init(path:))
    }
}
