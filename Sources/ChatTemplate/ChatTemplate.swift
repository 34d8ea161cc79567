// The public entry point: parse a chat template once, render it many times.
//
// Rendering matches transformers' apply_chat_template(..., tokenize=False), which compiles the
// template with ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
// extensions=[AssistantTracker, loopcontrols]) and renders it with messages, tools, documents,
// add_generation_prompt and the tokenizer's special tokens (transformers/utils/chat_template_utils.py,
// render_jinja_template; tokenization_utils_base.py, apply_chat_template).

/// A parsed Jinja chat template.
///
///     let template = try ChatTemplate(source)
///     let prompt = try template.render(messages: [.user("Hi")], addGenerationPrompt: true,
///                                      specialTokens: ["bos_token": "<s>", "eos_token": "</s>"])
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    private let nodes: [Node]

    /// Parses `source`. Throws a `TemplateError` of kind `.syntax` for invalid Jinja and `.unsupported`
    /// (naming the construct and its line) for Jinja this engine does not implement.
    public init(_ source: String) throws {
        self.source = source
        let tokens = try Lexer(source).tokenize()
        var parser = Parser(tokens: tokens)
        nodes = try parser.parseTemplate()
        try FilterCheck.check(nodes)
    }

    /// Renders with exactly the given variables.
    public func render(_ context: [String: TemplateValue]) throws -> String {
        try Evaluator(context: context.mapValues(Value.init)).render(nodes)
    }

    /// Renders a conversation the way `tokenizer.apply_chat_template(messages, tokenize=False, ...)`
    /// does: variables `messages`, `add_generation_prompt`, `tools` and `documents` (None unless given),
    /// every special token (`bos_token`, `eos_token`, ...), then `extraContext` (which wins over
    /// special tokens, as template kwargs do in transformers).
    public func render(
        messages: [ChatMessage],
        addGenerationPrompt: Bool,
        specialTokens: [String: String] = [:],
        tools: [TemplateValue]? = nil,
        extraContext: [String: TemplateValue] = [:]
    ) throws -> String {
        try render(
            messageValues: messages.map(\.templateValue), addGenerationPrompt: addGenerationPrompt,
            specialTokens: specialTokens, tools: tools, extraContext: extraContext)
    }

    /// As `render(messages:...)`, for messages already in template form (dicts with "role" and "content").
    public func render(
        messageValues: [TemplateValue],
        addGenerationPrompt: Bool,
        specialTokens: [String: String] = [:],
        tools: [TemplateValue]? = nil,
        extraContext: [String: TemplateValue] = [:]
    ) throws -> String {
        var context: [String: TemplateValue] = [:]
        for (name, token) in specialTokens { context[name] = .string(token) }
        for (name, value) in extraContext { context[name] = value }
        context["messages"] = .array(messageValues)
        // Explicit TemplateValue.none: transformers passes tools=None and documents=None, which a
        // template sees as defined (`tools is defined` is true, `tools is none` is true).
        context["tools"] = tools.map { TemplateValue.array($0) } ?? TemplateValue.none
        if context["documents"] == nil { context["documents"] = TemplateValue.none }
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try render(context)
    }
}
