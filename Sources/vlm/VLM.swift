import ArgumentParser
import Engine
import Foundation

@main
struct VLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm",
        abstract: "Vision-language inference on the CPU.",
        subcommands: [Ask.self, Generate.self, Tokenize.self, Calibrate.self, Bench.self])

    /// Parses and runs a command; any failure is one line on stderr and a non-zero exit.
    static func main() {
        Runtime.relaunchForAVX512KernelsIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }  // --help, --version
            let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("vlm: \(line)\n".utf8))
            Foundation.exit(code == .success ? 1 : code.rawValue)
        }
    }
}
