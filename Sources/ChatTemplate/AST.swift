// The parsed template: a tree of nodes (text, output, statements) holding expressions. Mirrors the
// subset of jinja2/nodes.py that chat templates use; everything here is a plain value, so a parsed
// ChatTemplate can be shared between threads and rendered many times.

/// A literal written in the template.
enum Constant: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

struct Expr: Sendable {
    let kind: ExprKind
    let line: Int
}

struct Argument: Sendable {
    /// nil for a positional argument.
    let name: String?
    let value: Expr
}

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    case concat = "~"
    case and, or
}

enum CompareOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case `in` = "in", notIn = "not in"
}

enum UnaryOperator: Sendable {
    case negate, plus, not
}

indirect enum ExprKind: Sendable {
    case constant(Constant)
    case name(String)
    case list([Expr])
    case tuple([Expr])
    case dictionary([(key: Expr, value: Expr)])
    /// `x.name`
    case attribute(Expr, String)
    /// `x[key]`
    case item(Expr, Expr)
    /// `x[start:stop:step]`
    case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
    case call(Expr, [Argument])
    /// `x | name(args)`
    case filter(Expr, name: String, [Argument])
    /// `x is [not] name(args)`
    case test(Expr, name: String, [Argument], negated: Bool)
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    /// `a < b <= c`, Python's chained comparison.
    case compare(Expr, [(CompareOperator, Expr)])
    /// `a if cond else b`; without `else` the result is undefined when cond is false.
    case conditional(condition: Expr, then: Expr, otherwise: Expr?)
}

/// Where `set` and `for` put values.
enum AssignTarget: Sendable {
    case name(String)
    case tuple([AssignTarget])
    /// `ns.attr`, writing into a namespace().
    case namespaceAttribute(String, String)
}

struct ForLoop: Sendable {
    let target: AssignTarget
    let iterable: Expr
    let condition: Expr?
    let body: [Node]
    let otherwise: [Node]?
    let line: Int
}

struct MacroDefinition: Sendable {
    let name: String
    let parameters: [(name: String, defaultValue: Expr?)]
    let body: [Node]
    let line: Int
}

indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case forLoop(ForLoop)
    case ifChain([(condition: Expr, body: [Node])], otherwise: [Node]?)
    case set(AssignTarget, Expr, line: Int)
    /// `{% set name %}body{% endset %}`: the rendered body becomes a string.
    case setBlock(AssignTarget, [Node], line: Int)
    case macro(MacroDefinition)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
    /// `{% filter f(args) | g %}body{% endfilter %}`: the rendered body goes through the filters.
    case filterBlock([(name: String, arguments: [Argument], line: Int)], [Node])
    /// transformers' `{% generation %}...{% endgeneration %}`: renders its body unchanged.
    case generation([Node])
}
