// When an unknown filter or test is an error. jinja2's compiler rejects it while compiling the
// template, except inside an `if` statement (conditions, body, else) or an inline
// `a if c else b`, where it compiles to a runtime error raised only if that code runs
// (jinja2/compiler.py: Frame.soft(), visit_If, visit_CondExpr, _filter_test_common). A loop, macro,
// set block or generation block inside an `if` starts a fresh, strict frame again.
// Filters jinja2 has but this engine lacks are treated the same way, so a template that never
// reaches them still renders, and one that does gets an `.unsupported` error naming them.

enum FilterCheck {
    static func check(_ nodes: [Node], soft: Bool = false) throws {
        for node in nodes {
            switch node {
            case .text, .breakLoop, .continueLoop:
                break
            case .output(let expr):
                try check(expr, soft: soft)
            case .forLoop(let loop):
                try check(loop.iterable, soft: soft)
                if let condition = loop.condition { try check(condition, soft: false) }
                try check(loop.body, soft: false)
                if let otherwise = loop.otherwise { try check(otherwise, soft: false) }
            case .ifChain(let branches, let otherwise):
                for branch in branches {
                    try check(branch.condition, soft: true)
                    try check(branch.body, soft: true)
                }
                if let otherwise { try check(otherwise, soft: true) }
            case .set(_, let expr, _):
                try check(expr, soft: soft)
            case .setBlock(_, let body, _):
                try check(body, soft: false)
            case .macro(let definition):
                for parameter in definition.parameters {
                    if let defaultValue = parameter.defaultValue { try check(defaultValue, soft: false) }
                }
                try check(definition.body, soft: false)
            case .filterBlock(let filters, let body):
                for filter in filters {
                    if !soft && !Filters.names.contains(filter.name) {
                        throw TemplateError(.unsupported, "filter '\(filter.name)'", line: filter.line)
                    }
                    for argument in filter.arguments { try check(argument.value, soft: soft) }
                }
                try check(body, soft: false)
            case .generation(let body):
                try check(body, soft: false)
            }
        }
    }

    private static func check(_ expr: Expr, soft: Bool) throws {
        func all(_ exprs: [Expr], soft: Bool) throws { for e in exprs { try check(e, soft: soft) } }
        func arguments(_ args: [Argument], soft: Bool) throws { for a in args { try check(a.value, soft: soft) } }
        switch expr.kind {
        case .constant, .name:
            break
        case .list(let items), .tuple(let items):
            try all(items, soft: soft)
        case .dictionary(let pairs):
            for pair in pairs { try all([pair.key, pair.value], soft: soft) }
        case .attribute(let object, _):
            try check(object, soft: soft)
        case .item(let object, let key):
            try all([object, key], soft: soft)
        case .slice(let object, let start, let stop, let step):
            try all([object] + [start, stop, step].compactMap { $0 }, soft: soft)
        case .call(let callee, let args):
            try check(callee, soft: soft)
            try arguments(args, soft: soft)
        case .filter(let input, let name, let args):
            if !soft && !Filters.names.contains(name) { throw TemplateError(.unsupported, "filter '\(name)'", line: expr.line) }
            try check(input, soft: soft)
            try arguments(args, soft: soft)
        case .test(let input, let name, let args, _):
            if !soft && !Tests.names.contains(name) { throw TemplateError(.unsupported, "test '\(name)'", line: expr.line) }
            try check(input, soft: soft)
            try arguments(args, soft: soft)
        case .unary(_, let operand):
            try check(operand, soft: soft)
        case .binary(_, let left, let right):
            try all([left, right], soft: soft)
        case .compare(let first, let operations):
            try all([first] + operations.map(\.1), soft: soft)
        case .conditional(let condition, let then, let otherwise):
            try all([condition, then] + (otherwise.map { [$0] } ?? []), soft: true)
        }
    }
}
