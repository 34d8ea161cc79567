// Every (template, conversation, add_generation_prompt) case rendered by transformers must render
// byte-identically here, and every case transformers refused must be refused here too.

import Testing
@testable import ChatTemplate

@Suite("Real chat templates against transformers' rendering")
struct ReferenceRenderTests {
    @Test("renders like transformers", arguments: ReferenceData.templateNames)
    func template(_ name: String) throws {
        let template = try ChatTemplate(try ReferenceData.templateSource(name))
        let settings = ReferenceData.expected["templates"]!.dictionaryValue![name]!.dictionaryValue!
        var specialTokens: [String: String] = [:]
        for (key, value) in settings["special_tokens"]!.dictionaryValue! { specialTokens[key] = value.stringValue! }
        var extraContext: [String: TemplateValue] = [:]
        for (key, value) in settings["extra_context"]!.dictionaryValue! { extraContext[key] = value }
        let conversations = ReferenceData.expected["conversations"]!.dictionaryValue!

        let cases = ReferenceData.cases.filter { $0["template"]?.stringValue == name }
        #expect(!cases.isEmpty)
        for record in cases {
            let conversationName = record["conversation"]!.stringValue!
            let conversation = conversations[conversationName]!.dictionaryValue!
            let addGenerationPrompt = record["add_generation_prompt"] == .bool(true)
            check({
                try template.render(
                    messageValues: conversation["messages"]!.arrayValue!,
                    addGenerationPrompt: addGenerationPrompt,
                    specialTokens: specialTokens,
                    tools: conversation["tools"]?.arrayValue,
                    extraContext: extraContext)
            }, against: record, label: "\(name) / \(conversationName) / add_generation_prompt=\(addGenerationPrompt)")
        }
    }

    @Test("the reference file covers the templates the brief names")
    func coverage() {
        let names = Set(ReferenceData.templateNames)
        for required in ["smollm2-135m-instruct.jinja", "qwen2-instruct.jinja", "qwen2.5-instruct.jinja", "llava-1.5-hf.jinja",
                         "llava-onevision-qwen2.jinja", "tinyllama-1.1b-chat.jinja", "llama-2-chat.jinja", "vicuna-13b-1.1.jinja",
                         "phi-3-mini-4k-instruct.jinja", "llama-3-instruct.jinja"] {
            #expect(names.contains(required), "missing \(required)")
        }
        let rendered = ReferenceData.cases.filter { $0["output"] != nil }.count
        #expect(rendered > 300)
    }
}

@Suite("Single language features against jinja2's output")
struct UnitCaseTests {
    @Test("renders like jinja2", arguments: ReferenceData.unitNames)
    func unit(_ name: String) throws {
        let record = ReferenceData.unit(named: name)
        var context: [String: TemplateValue] = [:]
        for (key, value) in record["context"]!.dictionaryValue! { context[key] = value }
        let source = record["template"]!.stringValue!
        check({ try ChatTemplate(source).render(context) }, against: record, label: name)
    }
}
