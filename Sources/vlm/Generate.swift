import ArgumentParser
import Engine
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a reply to a text prompt with a language model.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The prompt (one user turn, or the whole text with --raw).")
    var prompt: String

    func run() throws {
        model.applyThreads()
        let vlm = try model.load(fallback: nil)
        let request = Request(prompt: output.raw ? .raw(prompt) : .chat(prompt),
                              maxNewTokens: sampling.maxTokens, sampling: sampling.parameters)
        try respond(vlm, request, output)
    }
}

/// Streams the answer to stdout, or prints it as JSON; `--stats` adds the timings on stderr.
func respond(_ vlm: VisionLanguageModel, _ request: Request, _ output: OutputOptions) throws {
    if output.json {
        let response = try vlm.run(request)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(response), as: UTF8.self))
        return
    }
    let response = try vlm.run(request) { piece in
        FileHandle.standardOutput.write(Data(piece.utf8))
    }
    print("")
    if output.stats { FileHandle.standardError.write(Data(StatsReport(response).text.utf8)) }
}
