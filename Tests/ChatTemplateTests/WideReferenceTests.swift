// Opt-in: the same comparison as ReferenceRenderTests over any folder of templates rendered by
// scripts/make_chat_template_refs.py --templates DIR --out FILE (e.g. llama.cpp's ~70 templates).
// Enabled by CHAT_TEMPLATE_WIDE_REFS=FILE and CHAT_TEMPLATE_WIDE_TEMPLATES=DIR.

import Foundation
import Testing
@testable import ChatTemplate

private let environment = ProcessInfo.processInfo.environment

@Suite("Wide reference check (opt-in)")
struct WideReferenceTests {
    @Test("every template in the folder renders like transformers",
          .enabled(if: environment["CHAT_TEMPLATE_WIDE_REFS"] != nil && environment["CHAT_TEMPLATE_WIDE_TEMPLATES"] != nil))
    func wide() throws {
        let references = URL(fileURLWithPath: environment["CHAT_TEMPLATE_WIDE_REFS"]!)
        let folder = URL(fileURLWithPath: environment["CHAT_TEMPLATE_WIDE_TEMPLATES"]!)
        let data = try TemplateValue(json: String(contentsOf: references, encoding: .utf8)).dictionaryValue!
        let conversations = data["conversations"]!.dictionaryValue!
        let settings = data["templates"]!.dictionaryValue!
        var parsed: [String: Result<ChatTemplate, Error>] = [:]
        for record in data["cases"]!.arrayValue!.compactMap(\.dictionaryValue) {
            let name = record["template"]!.stringValue!
            let conversationName = record["conversation"]!.stringValue!
            let conversation = conversations[conversationName]!.dictionaryValue!
            let addGenerationPrompt = record["add_generation_prompt"] == .bool(true)
            let setting = settings[name]!.dictionaryValue!
            var specialTokens: [String: String] = [:]
            for (key, value) in setting["special_tokens"]!.dictionaryValue! { specialTokens[key] = value.stringValue! }
            var extraContext: [String: TemplateValue] = [:]
            for (key, value) in setting["extra_context"]!.dictionaryValue! { extraContext[key] = value }
            if parsed[name] == nil {
                parsed[name] = Result { try ChatTemplate(String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) }
            }
            check({
                try parsed[name]!.get().render(
                    messageValues: conversation["messages"]!.arrayValue!, addGenerationPrompt: addGenerationPrompt,
                    specialTokens: specialTokens, tools: conversation["tools"]?.arrayValue, extraContext: extraContext)
            }, against: record, label: "\(name) / \(conversationName) / add_generation_prompt=\(addGenerationPrompt)")
        }
    }
}
