import Foundation

/// A DToMe thresholds file: one threshold per vision-tower block, the blocks allowed to merge
/// (scheduled r > 0), and how they were found.
///
/// ```json
/// {"format": "vlm-dymu-thresholds", "model": "…", "merges_per_layer": 21, "images": 1000,
///  "schedule": [21, 21, …], "thresholds": [0.91, 0.88, …], "source": "vlm calibrate"}
/// ```
public struct DyMUThresholds: Codable, Sendable, Equatable {
    public var format = "vlm-dymu-thresholds"
    public var model: String
    public var mergesPerLayer: Int?
    public var images: Int?
    public var schedule: [Int]
    public var thresholds: [Float]
    public var source: String?

    enum CodingKeys: String, CodingKey {
        case format, model, images, schedule, thresholds, source
        case mergesPerLayer = "merges_per_layer"
    }

    public init(model: String, mergesPerLayer: Int?, images: Int?, schedule: [Int], thresholds: [Float], source: String?) {
        self.model = model
        self.mergesPerLayer = mergesPerLayer
        self.images = images
        self.schedule = schedule
        self.thresholds = thresholds
        self.source = source
    }

    public var mergingLayers: [Bool] { schedule.map { $0 > 0 } }

    public static func load(_ path: String) throws -> DyMUThresholds {
        let file = try JSONFile.decode(DyMUThresholds.self, path: path)
        guard file.schedule.count == file.thresholds.count, !file.thresholds.isEmpty else {
            throw EngineError.invalidJSON(file: path, reason: "'schedule' and 'thresholds' must be non-empty and of equal length")
        }
        guard file.thresholds.allSatisfy(\.isFinite) else {
            throw EngineError.invalidJSON(file: path, reason: "thresholds must be finite numbers")
        }
        return file
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}
