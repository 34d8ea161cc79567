// Every failure is one thrown TemplateError: a template that does not parse, a construct this engine
// does not implement, a `raise_exception(...)` the template called, or an operation jinja2 itself
// would refuse (undefined attribute of an undefined value, 'a' + 1, ...). Never a crash.

/// An error from parsing or rendering a chat template.
public struct TemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The template is not valid Jinja (jinja2's TemplateSyntaxError).
        case syntax
        /// Valid Jinja that this engine does not implement; `message` names the construct.
        case unsupported
        /// The template called `raise_exception(message)`; `message` is exactly its argument.
        case raised
        /// An undefined value was used where jinja2 raises UndefinedError (e.g. `nope.attr`).
        case undefined
        /// An operation on the wrong types, where Python raises TypeError (e.g. `'a' + 1`).
        case type
        /// Any other runtime failure Python would raise (division by zero, bad unpacking, unsafe call, ...).
        case runtime
    }

    public let kind: Kind
    public let message: String
    /// 1-based line in the template source, when known.
    public let line: Int?

    public init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    public var description: String {
        let place = line.map { " (template line \($0))" } ?? ""
        switch kind {
        case .raised: return "template raised an exception: \(message)\(place)"
        case .unsupported: return "unsupported template construct: \(message)\(place)"
        default: return "template \(kind.rawValue) error: \(message)\(place)"
        }
    }

    /// The same error with a line attached, unless it already has one.
    func at(line: Int) -> TemplateError {
        self.line == nil ? TemplateError(kind, message, line: line) : self
    }
}
