// Timing of the Tokenizer target in a release build, without a Package.swift product for it:
// scripts/benchmark_tokenizer.sh compiles this file together with Sources/Tokenizer/*.swift.
// Reads the vocabularies of fixtures-cache/tokenizers (scripts/fetch_tokenizer_vectors.sh); gpt-2-split-regex
// is GPT-2 with a Split regex that goes to ICU (NSRegularExpression) instead of a hand-written matcher.

import Foundation

@main
struct TokenizerBenchmark {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func milliseconds(_ value: Double) -> String { String(format: "%7.2f ms", value * 1000) }

    static func main() throws {
        let root = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "fixtures-cache/tokenizers")
        for name in ["gpt-2", "gpt-2-split-regex", "qwen2", "llama-bpe", "llama-spm", "phi-3"] {
            let directory = root.appendingPathComponent(name)
            var loadTimes: [Double] = []
            var tokenizer: Tokenizer? = nil
            for _ in 0..<3 {
                loadTimes.append(try seconds { tokenizer = try Tokenizer(contentsOf: directory) })
            }
            guard let tokenizer else { continue }

            // Diverse text: the fuzz inputs (many scripts, emoji, code), then plain English-like prose.
            let fuzz = try JSONParser.parse(Data(contentsOf: directory.appendingPathComponent("fuzz.json")))
            let inputs = (fuzz["texts"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }
            var diverse = ""
            for input in inputs where tokenizer.encode(diverse, addSpecialTokens: false).count < 1000 { diverse += input + " " }
            let prose = String(
                repeating: "The vision encoder turns each image into patch embeddings, which a small projector maps into the language model's embedding space. ",
                count: 40)

            for (label, text) in [("diverse", diverse), ("prose", prose)] {
                let fresh = try Tokenizer(contentsOf: directory)  // empty word cache
                var ids: [Int] = []
                let cold = seconds { ids = fresh.encode(text) }
                var warm = Double.infinity
                for _ in 0..<5 { warm = min(warm, seconds { ids = fresh.encode(text) }) }
                var decoded = ""
                let decode = seconds { decoded = fresh.decode(ids) }
                let stream = seconds {
                    var decoder = fresh.streamingDecoder()
                    var out = ""
                    for id in ids { out += decoder.append(id) }
                    out += decoder.finish()
                    precondition(out == decoded)
                }
                print(
                    "\(name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(label.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%5d", ids.count)) tokens: encode cold \(milliseconds(cold)), warm \(milliseconds(warm)); decode \(milliseconds(decode)); stream \(milliseconds(stream))"
                )
            }
            print(
                "\(name.padding(toLength: 18, withPad: " ", startingAt: 0)) load (vocabulary \(tokenizer.vocabularySize)): \(loadTimes.map(milliseconds).joined(separator: ", "))")
        }
    }
}
