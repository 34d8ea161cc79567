import ArgumentParser
import Engine
import Foundation

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find DyMU's per-block merging thresholds for a vision tower from a folder of images.",
        discussion: """
            Runs DyMU's batch-level threshold finding: in every block the batch's best \
            (merges-per-layer × batch) token pairs merge, and the best pair left unmerged is that \
            block's sample; thresholds are the running means over all batches. LLaVA-1.5's \
            settings are 21, 16 and 8 merges per layer (DyMU low, mid, high).
            """)

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Folder of JPEG/PNG images (searched recursively).")
    var images: String

    @Option(name: .long, help: "Scheduled merges per image in every block (r).")
    var mergesPerLayer: Int

    @Option(name: .long, help: "Images per batch.")
    var batchSize = 16

    @Option(name: .long, help: "Where to write the thresholds JSON.")
    var out: String

    @Flag(name: .long, help: "Continue an interrupted run from <out>.partial.")
    var resume = false

    func run() throws {
        model.applyThreads()
        let vlm = try model.load(fallback: ModelOptions.demoModel)
        let calibration = try DyMUCalibration(model: vlm, folder: images, mergesPerLayer: mergesPerLayer,
                                              batchSize: batchSize, output: out)
        var bar = ProgressBar(label: "calibrating")
        let result = try calibration.run(resume: resume) { progress in
            bar.update(done: progress.imagesDone, total: progress.imagesTotal, before: progress.imagesDoneBefore,
                       elapsed: progress.elapsedSeconds)
        }
        bar.finish()
        let summary = result.thresholds.map { String(format: "%.3f", $0) }.joined(separator: " ")
        print("wrote \(out): \(result.thresholds.count) thresholds from \(result.images ?? 0) images: \(summary)")
    }
}

/// A one-line progress bar with an ETA on stderr.
struct ProgressBar {
    let label: String
    private var lastLength = 0

    init(label: String) { self.label = label }

    /// `before`: images done before this run (a resumed one), left out of the rate.
    mutating func update(done: Int, total: Int, before: Int, elapsed: Double) {
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        var line = "\(label) [\(bar)] \(done)/\(total)"
        if done > before && elapsed > 0 && done < total {
            let remaining = elapsed / Double(done - before) * Double(total - done)
            line += "  ETA \(Self.duration(remaining))"
        }
        let padding = String(repeating: " ", count: max(0, lastLength - line.count))
        lastLength = line.count
        FileHandle.standardError.write(Data("\r\(line)\(padding)".utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
