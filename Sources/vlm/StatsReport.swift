import Engine
import Foundation

/// The `--stats` lines: where the time went and how many tokens each stage handled.
struct StatsReport {
    let response: Response
    init(_ response: Response) { self.response = response }

    var text: String {
        let t = response.timings
        func ms(_ value: Double) -> String { String(format: "%8.1f ms", value) }
        var lines = [
            "load            \(ms(t.load))",
        ]
        if response.visualTokens > 0 {
            lines += [
                "image decode    \(ms(t.imagePreprocess))",
                "vision tower    \(ms(t.visionTower))",
                "projector       \(ms(t.projector))",
            ]
        }
        lines += [
            "prefill         \(ms(t.prefill))  \(response.promptTokens) tokens, \(String(format: "%.1f", t.prefillTokensPerSecond)) tokens/s",
            "decode          \(ms(t.decode))  \(response.tokens.count) tokens, \(String(format: "%.1f", t.decodeTokensPerSecond)) tokens/s",
            "first token     \(ms(t.timeToFirstToken))",
            "visual tokens   \(response.visualTokens)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
