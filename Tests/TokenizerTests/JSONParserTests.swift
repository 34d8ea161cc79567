// The JSON reader behind tokenizer.json loading.

import Foundation
import Testing

@testable import Tokenizer

@Suite("JSON parser")
struct JSONParserTests {
    @Test("values, escapes and surrogate pairs")
    func values() throws {
        let json = try JSONParser.parse(
            Data(#"{"s": "a\"\\\/\b\f\n\r\t\u00e9\ud83e\udd99", "n": [-12, 3.5, 1e3, 0], "t": true, "f": false, "z": null, "k": 1, "k": 2}"#.utf8))
        #expect(json["s"]?.stringValue == "a\"\\/\u{8}\u{C}\n\r\té🦙")
        #expect(json["n"]?.arrayValue?.map(\.doubleValue) == [-12, 3.5, 1000, 0])
        #expect(json["n"]?.arrayValue?.first?.intValue == -12)
        #expect(json["n"]?.arrayValue?[1].intValue == nil)
        #expect(json["t"]?.boolValue == true && json["f"]?.boolValue == false)
        #expect(json["z"]?.isNull == true)
        #expect(json["k"]?.intValue == 2, "a repeated key: the last one wins")
        #expect(json["missing"] == nil)
    }

    @Test("raw UTF-8, including U+FEFF inside strings, is kept byte for byte")
    func rawUTF8() throws {
        let json = try JSONParser.parse(Data("[\"\u{FEFF}x\", \"e\u{301}\", \"Ġ\"]".utf8))
        let strings = try #require(json.arrayValue).compactMap(\.stringValue)
        #expect(strings.map { Array($0.unicodeScalars) } == [["\u{FEFF}", "x"], ["e", "\u{301}"], ["Ġ"]])
    }

    @Test("malformed input is rejected", arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01x", "-", "1.2.3e", "\"\\ud800\"", "\"\\x\"",
        "tru", "[1 2]", String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func malformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Data(text.utf8)) }
    }
}
