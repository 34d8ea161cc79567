import Foundation
import ImageProcessing
import Reduction
import Tensor
import ViT

/// `vlm calibrate`: DToMe thresholds for a checkpoint's vision tower from a folder of images,
/// in batches, resumable. Progress is saved after every batch to `<output>.partial`.
public struct DyMUCalibration {
    public struct Progress: Sendable {
        public let imagesDone: Int
        public let imagesTotal: Int
        /// Images already done when this run started (a resumed run), for the ETA.
        public let imagesDoneBefore: Int
        public let elapsedSeconds: Double
    }

    /// What is saved between batches so an interrupted run can resume.
    struct SavedState: Codable {
        var model: String
        var mergesPerLayer: Int
        var batchSize: Int
        var imagesDone: Int
        var averages: ThresholdAverages
    }

    public let model: VisionLanguageModel
    public let images: [String]
    public let mergesPerLayer: Int
    public let batchSize: Int
    public let output: String

    /// The images of `folder` (JPEG and PNG, by extension, sorted so a resumed run sees the same order).
    public init(model: VisionLanguageModel, folder: String, mergesPerLayer: Int, batchSize: Int, output: String) throws {
        guard model.imageEncoder != nil else { throw EngineError.invalidArgument("\(model.directory) has no vision tower to calibrate") }
        guard mergesPerLayer > 0 else { throw EngineError.invalidArgument("--merges-per-layer must be at least 1") }
        guard batchSize > 0 else { throw EngineError.invalidArgument("--batch-size must be at least 1") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EngineError.invalidArgument("image folder \(folder) does not exist")
        }
        let names = try FileManager.default.subpathsOfDirectory(atPath: folder).sorted()
        images = names.filter { ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased()) }
            .map { folder + "/" + $0 }
        guard !images.isEmpty else { throw EngineError.invalidArgument("no .jpg, .jpeg or .png images in \(folder)") }
        self.model = model
        self.mergesPerLayer = mergesPerLayer
        self.batchSize = batchSize
        self.output = output
    }

    var statePath: String { output + ".partial" }

    /// Runs (or resumes) the calibration and writes the thresholds file.
    public func run(resume: Bool, progress: (Progress) -> Void) throws -> DyMUThresholds {
        let encoder = model.imageEncoder!, preprocessor = model.imagePreprocessor!
        let blocks = encoder.tower.layers.count
        let calibrator = ThresholdCalibrator(tower: encoder.tower, schedule: [Int](repeating: mergesPerLayer, count: blocks))
        var done = 0
        if resume, let data = FileManager.default.contents(atPath: statePath) {
            let state = try JSONFile.decode(SavedState.self, from: data, file: statePath)
            guard state.model == model.directory, state.mergesPerLayer == mergesPerLayer, state.batchSize == batchSize else {
                throw EngineError.invalidArgument("\(statePath) is from another model, --merges-per-layer or --batch-size; delete it to start over")
            }
            calibrator.restore(state.averages)
            done = state.imagesDone
        }
        let start = DispatchTime.now().uptimeNanoseconds, before = done
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        progress(Progress(imagesDone: done, imagesTotal: images.count, imagesDoneBefore: before, elapsedSeconds: 0))
        while done < images.count {
            let batch = images[done..<min(done + batchSize, images.count)]
            let pixels = try batch.map { path in
                do {
                    return try preprocessor(ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path))).data
                } catch {
                    throw EngineError.invalidArgument(
                        "\(error) — fix or remove it and resume with --resume (\(done) images are done)")
                }
            }
            calibrator.calibrate(batch: pixels)
            done += batch.count
            let state = SavedState(model: model.directory, mergesPerLayer: mergesPerLayer, batchSize: batchSize,
                                   imagesDone: done, averages: calibrator.averages)
            try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: statePath))
            progress(Progress(imagesDone: done, imagesTotal: images.count, imagesDoneBefore: before, elapsedSeconds: elapsed()))
        }
        let result = DyMUThresholds(model: model.directory, mergesPerLayer: mergesPerLayer, images: images.count,
                                    schedule: calibrator.schedule, thresholds: calibrator.thresholds,
                                    source: "vlm calibrate, batch size \(batchSize)")
        try result.write(to: output)
        try? FileManager.default.removeItem(atPath: statePath)
        return result
    }
}
