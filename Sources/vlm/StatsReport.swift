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
        if let perLayer = response.visionTokensPerLayer {
            lines.append("ViT tokens      " + perLayer.map { $0.map(String.init).joined(separator: " ") }.joined(separator: " | "))
        }
        if let virtual = response.virtualPromptTokens {
            lines.append("virtual length  \(virtual) (VTU: attention as if unmerged)")
        }
        if let p = response.proxyV {
            lines.append(String(format: "proxyv          layers %d–%d, %d proxies, prefill %.3g of %.3g GFLOP (%.0f%% saved)",
                                p.layers.first ?? 0, p.layers.last ?? 0, p.proxies, p.prefillFLOPs / 1e9, p.plainPrefillFLOPs / 1e9,
                                p.savedFraction * 100))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
