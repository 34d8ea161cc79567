// Errors: raise_exception reaches the caller with its message; constructs this engine does not
// implement are named with their line; invalid templates are syntax errors, never crashes.

import Testing
@testable import ChatTemplate

@Suite("Errors")
struct ErrorTests {
    @Test("LLaMA-2's role alternation check surfaces as a raised error with its message")
    func llama2Alternation() throws {
        let template = try ChatTemplate(try ReferenceData.templateSource("llama-2-chat.jinja"))
        let error = #expect(throws: TemplateError.self) {
            try template.render(messages: [.user("one"), .user("two")], addGenerationPrompt: true,
                                specialTokens: ["bos_token": "<s>", "eos_token": "</s>"])
        }
        #expect(error?.kind == .raised)
        #expect(error?.message == "Conversation roles must alternate user/assistant/user/assistant/...")
        #expect(error?.line == 1)
    }

    @Test("Gemma refuses a system message through raise_exception")
    func gemmaSystemRole() throws {
        let template = try ChatTemplate(try ReferenceData.templateSource("gemma-2-it.jinja"))
        let error = #expect(throws: TemplateError.self) {
            try template.render(messages: [.system("s"), .user("u")], addGenerationPrompt: false)
        }
        #expect(error?.kind == .raised)
        #expect(error?.message == "System role not supported")
    }

    @Test("unsupported constructs are named, with their line", arguments: [
        ("a\n{% include 'other.jinja' %}", "'{% include %}' tag", 2),
        ("{{ x }}\n\n{{ x | wordwrap(10) }}", "filter 'wordwrap'", 3),
        ("{{ x is escapedish }}", "test 'escapedish'", 1),
        ("{% if a %}{% for x in xs %}{{ x | wordwrap }}{% endfor %}{% endif %}", "filter 'wordwrap'", 1),
        ("line\n{% for x in xs recursive %}{% endfor %}", "recursive for loop", 2),
        ("{% call foo() %}x{% endcall %}", "'{% call %}' tag", 1),
        ("{% filter center(9) %}x{% endfilter %}", "filter 'center'", 1),
        ("{% frobnicate %}", "unknown tag 'frobnicate'", 1),
        ("\n\n\n{% set x | upper %}a{% endset %}", "filter on a '{% set %}' block", 4),
        ("{{ f(*args) }}", "*args / **kwargs in a call", 1),
    ])
    func unsupported(_ source: String, _ construct: String, _ line: Int) {
        let error = #expect(throws: TemplateError.self) { try ChatTemplate(source) }
        #expect(error?.kind == .unsupported)
        #expect(error?.message == construct)
        #expect(error?.line == line)
        #expect(error?.description.contains(construct) == true)
    }

    @Test("unsupported runtime constructs are named too")
    func unsupportedAtRuntime() throws {
        let error = #expect(throws: TemplateError.self) { try ChatTemplate("\n{{ cycler('a') }}").render([:]) }
        #expect(error?.kind == .unsupported)
        #expect(error?.message == "global function 'cycler'")
        #expect(error?.line == 2)
    }

    @Test("inside an if, an unknown filter fails only when it runs, as in jinja2")
    func unknownFilterInsideIf() throws {
        let template = try ChatTemplate("{% if x is string %}{{ x | from_json }}{% else %}{{ 'ok' if x else y | nope }}{% endif %}")
        #expect(try template.render(["x": 1]) == "ok")
        let error = #expect(throws: TemplateError.self) { try template.render(["x": "{}"]) }
        #expect(error?.kind == .unsupported)
        #expect(error?.message == "filter 'from_json'")
    }

    @Test("invalid templates are syntax errors", arguments: [
        "{% if x %}never closed",
        "{% for x in %}{% endfor %}",
        "{{ 'unterminated }}",
        "{{ x + }}",
        "{% endif %}",
        "{# no end",
        "{{ (1, 2 }}",
        "{% for x in xs %}{% endif %}{% endfor %}",
        "{% break %}",
    ])
    func syntax(_ source: String) {
        let error = #expect(throws: TemplateError.self) { try ChatTemplate(source) }
        #expect(error?.kind == .syntax)
        #expect(error?.line != nil)
    }

    @Test("printing a generator is refused: jinja2 would print a memory address")
    func printingGenerator() {
        let error = #expect(throws: TemplateError.self) { try ChatTemplate("{{ xs | select('odd') }}").render(["xs": [1, 2, 3]]) }
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("generator") == true)
    }

    @Test("list and dict mutation is refused, as in the immutable sandbox")
    func immutable() {
        let error = #expect(throws: TemplateError.self) { try ChatTemplate("{{ xs.append(3) }}").render(["xs": [1, 2]]) }
        #expect(error?.kind == .runtime)
        #expect(error?.message.contains("unsafe") == true)
    }
}
