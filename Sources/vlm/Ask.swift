import ArgumentParser
import Engine
import Foundation

struct Ask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a question about one or more images.",
        discussion: """
            The last argument is the question; the ones before it are image files (JPEG or PNG).
            Without --model, the demo checkpoint built by scripts/setup.sh is used.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var reduction: ReductionOptions

    @Argument(help: "Image files, then the question (with --raw: the whole prompt, <image> marking each image).")
    var arguments: [String]

    func validate() throws {
        guard arguments.count >= 2 else { throw ValidationError("give at least one image and a question") }
    }

    func run() throws {
        model.applyThreads()
        let images = Array(arguments.dropLast())
        for image in images where !FileManager.default.fileExists(atPath: image) {
            throw ValidationError("image file \(image) does not exist")
        }
        let question = arguments.last!
        let vlm = try model.load(fallback: ModelOptions.demoModel)
        let request = Request(prompt: output.raw ? .raw(question) : .chat(question), images: images,
                              maxNewTokens: sampling.maxTokens, sampling: sampling.parameters,
                              reduction: try reduction.method(), proxyV: !reduction.noProxyV)
        try respond(vlm, request, output)
    }
}

/// `--reduction` and its settings.
struct ReductionOptions: ParsableArguments {
    enum Method: String, ExpressibleByArgument, CaseIterable { case none, dymu, visionzip }

    @Option(name: .long, help: "Visual token reduction: none, dymu or visionzip.")
    var reduction: Method = .none

    @Option(name: .long, help: "DyMU thresholds file (JSON, from `vlm calibrate` or scripts/convert_dymu_thresholds.py).")
    var thresholds: String?

    @Flag(name: .long, help: "DyMU without virtual token unmerging: merged tokens as a plain shorter sequence.")
    var noVtu = false

    @Option(name: .long, help: "VisionZip budget: 64, 128 or 192 visual tokens (54+10, 108+20, 162+30).")
    var tokens: Int?

    @Option(name: .long, help: "VisionZip dominant tokens (class token included).")
    var dominant: Int?

    @Option(name: .long, help: "VisionZip contextual tokens.")
    var contextual: Int?

    @Flag(name: .customLong("no-proxyv"), help: "Run a ProxyV checkpoint's layers plainly (for comparison).")
    var noProxyV = false

    func validate() throws {
        if reduction != .dymu && (thresholds != nil || noVtu) {
            throw ValidationError("--thresholds and --no-vtu go with --reduction dymu")
        }
        if reduction != .visionzip && (tokens != nil || dominant != nil || contextual != nil) {
            throw ValidationError("--tokens, --dominant and --contextual go with --reduction visionzip")
        }
        if reduction == .dymu && thresholds == nil {
            throw ValidationError("--reduction dymu needs --thresholds FILE")
        }
        if reduction == .visionzip {
            if tokens != nil && (dominant != nil || contextual != nil) {
                throw ValidationError("give either --tokens or --dominant/--contextual, not both")
            }
            if let tokens, tokens != 64 && tokens != 128 && tokens != 192 {
                throw ValidationError("--tokens must be 64, 128 or 192 (or give --dominant and --contextual)")
            }
            if tokens == nil && (dominant == nil || contextual == nil) {
                throw ValidationError("--reduction visionzip needs --tokens, or both --dominant and --contextual")
            }
        }
    }

    /// How the method and its settings are named in reports.
    var summary: String {
        switch reduction {
        case .none: return "none"
        case .dymu: return "dymu (\(thresholds ?? "?"))\(noVtu ? ", no VTU" : "")"
        case .visionzip: return "visionzip \(visionZipCounts.dominant)+\(visionZipCounts.contextual)"
        }
    }

    /// --tokens at a paper budget, else --dominant and --contextual.
    private var visionZipCounts: (dominant: Int, contextual: Int) {
        if let tokens, case let .visionZip(dominant, contextual)? = VisualTokenReduction.visionZip(tokens: tokens) {
            return (dominant, contextual)
        }
        return (dominant ?? 0, contextual ?? 0)
    }

    func method() throws -> VisualTokenReduction {
        switch reduction {
        case .none:
            return .none
        case .dymu:
            guard let thresholds else { throw ValidationError("--reduction dymu needs --thresholds FILE") }
            return .dymu(try DyMUThresholds.load(thresholds), virtualUnmerging: !noVtu)
        case .visionzip:
            return .visionZip(dominant: visionZipCounts.dominant, contextual: visionZipCounts.contextual)
        }
    }
}
