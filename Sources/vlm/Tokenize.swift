import ArgumentParser
import Engine
import Foundation
import Tokenizer

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of a text, as transformers' tokenizer(TEXT) gives them.")

    @Option(name: .long, help: "Checkpoint directory with tokenizer.json.")
    var model: String

    @Flag(name: .long, help: "Do not add special tokens (BOS), as add_special_tokens=False.")
    var noSpecialTokens = false

    @Flag(name: .long, help: "Print a JSON object with ids and tokens.")
    var json = false

    @Argument(help: "The text to tokenize.")
    var text: String

    func run() throws {
        let tokenizer = try VisionLanguageModel.loadTokenizer(directory: model)
        let ids = tokenizer.encode(text, addSpecialTokens: !noSpecialTokens)
        if json {
            let object: [String: Any] = ["ids": ids, "tokens": ids.map { tokenizer.token(forId: $0) ?? "" }]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
