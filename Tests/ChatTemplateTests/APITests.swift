// The public API: ChatMessage convenience, values, JSON that keeps key order, checkpoint files.

import Foundation
import Testing
@testable import ChatTemplate

@Suite("Public API")
struct APITests {
    @Test("SmolLM2's prompt for the engine's demo question")
    func smolLM2Prompt() throws {
        let template = try ChatTemplate(try ReferenceData.templateSource("smollm2-135m-instruct.jinja"))
        let prompt = try template.render(messages: [.user("What is the capital of France?")], addGenerationPrompt: true,
                                         specialTokens: ["bos_token": "<|im_start|>", "eos_token": "<|im_end|>"])
        #expect(prompt == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test("LLaVA-1.5 with an image part")
    func llavaImagePart() throws {
        let template = try ChatTemplate(try ReferenceData.templateSource("llava-1.5-hf.jinja"))
        let prompt = try template.render(messages: [.user(parts: [.image, .text("What is shown in this image?")])],
                                         addGenerationPrompt: true)
        #expect(prompt == "USER: <image>\nWhat is shown in this image? ASSISTANT:")
    }

    @Test("tools and documents are None, not undefined, as transformers passes them")
    func toolsAndDocumentsAreNone() throws {
        let template = try ChatTemplate("{{ tools is defined }}|{{ tools is none }}|{{ documents is none }}|{{ tools | length if tools else 0 }}")
        #expect(try template.render(messages: [.user("hi")], addGenerationPrompt: false) == "True|True|True|0")
        let tool: TemplateValue = ["type": "function", "function": ["name": "f"]]
        #expect(try template.render(messages: [.user("hi")], addGenerationPrompt: false, tools: [tool]) == "True|False|True|1")
    }

    @Test("a parsed template renders many times and can be shared")
    func reusable() async throws {
        let template = try ChatTemplate("{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}")
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<4 {
                group.addTask { try template.render(messages: [.user("\(i)")], addGenerationPrompt: false) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(outputs) == ["user:0;", "user:1;", "user:2;", "user:3;"])
    }

    @Test("JSON keeps key order and round-trips through tojson")
    func jsonOrder() throws {
        let value = try TemplateValue(json: #"{"z": 1, "a": [1.5, null, true, "é\n"], "m": {"y": -2e3, "b": "\ud83d\ude42"}}"#)
        #expect(value.dictionaryValue?.keys == ["z", "a", "m"])
        let rendered = try ChatTemplate("{{ v | tojson }}").render(["v": value])
        #expect(rendered == #"{"z": 1, "a": [1.5, null, true, "é\n"], "m": {"y": -2000.0, "b": "🙂"}}"#)
    }

    @Test("literals build values")
    func literals() {
        let value: TemplateValue = ["role": "user", "n": 3, "x": 0.5, "ok": true, "none": nil, "list": [1, "a"]]
        #expect(value.dictionaryValue?.keys == ["role", "n", "x", "ok", "none", "list"])
        #expect(value.dictionaryValue?["role"] == "user")
    }

    @Test("python float formatting", arguments: [
        (1e-5, "1e-05"), (1e16, "1e+16"), (1e15, "1000000000000000.0"), (0.0001, "0.0001"), (3.0, "3.0"),
        (-0.0, "-0.0"), (0.1 + 0.2, "0.30000000000000004"), (123456.789, "123456.789"), (1.5e300, "1.5e+300"), (2.5e-7, "2.5e-07"),
    ])
    func floats(_ value: Double, _ expected: String) {
        #expect(pythonFloatRepr(value) == expected)
    }
}
