// Loads Fixtures/expected.json (written by scripts/make_chat_template_refs.py from transformers'
// own renderer) and the template files it refers to.

import Foundation
import Testing
@testable import ChatTemplate

enum ReferenceData {
    static let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static let expected: TemplateDictionary = {
        let text = try! String(contentsOf: fixtures.appendingPathComponent("expected.json"), encoding: .utf8)
        return try! TemplateValue(json: text).dictionaryValue!
    }()

    static func templateSource(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent("templates").appendingPathComponent(name), encoding: .utf8)
    }

    static var templateNames: [String] { expected["templates"]!.dictionaryValue!.keys }

    static var cases: [TemplateDictionary] { expected["cases"]!.arrayValue!.map { $0.dictionaryValue! } }

    static var units: [TemplateDictionary] { expected["units"]!.arrayValue!.map { $0.dictionaryValue! } }

    static var unitNames: [String] { units.map { $0["name"]!.stringValue! } }

    static func unit(named name: String) -> TemplateDictionary {
        units.first { $0["name"]?.stringValue == name }!
    }
}

/// What jinja2's exception type means in TemplateError terms.
func expectedKind(ofPythonError type: String) -> TemplateError.Kind? {
    switch type {
    case "TemplateError": return .raised
    case "UndefinedError": return .undefined
    case "TypeError": return .type
    default: return nil
    }
}

/// Checks that `render` produced what jinja2 recorded: the same text, or an error of the matching kind
/// (and, for raise_exception, the same message).
func check(_ render: () throws -> String, against record: TemplateDictionary, label: String) {
    if let output = record["output"]?.stringValue {
        do {
            let rendered = try render()
            #expect(rendered == output, "\(label): rendered text differs from transformers'")
        } catch {
            Issue.record("\(label): expected output, got error \(error)")
        }
        return
    }
    let error = record["error"]!.dictionaryValue!
    let type = error["type"]!.stringValue!
    let message = error["message"]!.stringValue!
    do {
        let rendered = try render()
        Issue.record("\(label): expected \(type) '\(message)', got output \(rendered.debugDescription)")
    } catch let thrown as TemplateError where thrown.kind == .unsupported {
        // jinja2 failed too; here the construct that would have failed is not implemented, which is
        // also an error naming it. (Never reached by the committed fixtures.)
        _ = thrown
    } catch let thrown as TemplateError {
        if let kind = expectedKind(ofPythonError: type) {
            #expect(thrown.kind == kind, "\(label): expected a \(type) (\(kind)), got \(thrown)")
        }
        if type == "TemplateError" {
            #expect(thrown.message == message, "\(label): raise_exception message differs")
        }
    } catch {
        Issue.record("\(label): unexpected error type \(error)")
    }
}
