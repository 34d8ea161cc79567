// Turns tokens into the node tree. Follows jinja2/parser.py function by function (parse_for,
// parse_if, parse_set, parse_tuple, parse_condexpr, parse_or, ... parse_unary, parse_primary,
// parse_postfix, parse_filter_expr), so operator precedence and the odd corners match jinja2:
// filters bind tighter than arithmetic (`'a' + x | trim`), `~` binds tighter than `+`, `**` is
// left-associative, `not x is defined` is `not (x is defined)`, adjacent string literals concatenate.

struct Parser {
    private var tokens: [Token]
    private var index = 0
    private var loopDepth = 0

    /// Statement tags jinja2 knows but this engine does not implement; named in the error.
    private static let unsupportedTags: Set<String> = [
        "call", "with", "block", "extends", "include", "import", "from", "raw", "autoescape",
        "do", "trans", "pluralize", "endraw",
    ]

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    mutating func parseTemplate() throws -> [Node] {
        let (nodes, _) = try parseBody(until: [])
        return nodes
    }

    // MARK: - Token stream

    private var current: Token { tokens[index] }
    private func look(_ offset: Int = 1) -> Token { tokens[min(index + offset, tokens.count - 1)] }
    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func isName(_ token: Token, _ name: String) -> Bool {
        if case .name(name) = token.kind { return true }
        return false
    }

    private func isOp(_ token: Token, _ op: String) -> Bool {
        if case .op(op) = token.kind { return true }
        return false
    }

    private mutating func skipName(_ name: String) -> Bool {
        guard isName(current, name) else { return false }
        advance()
        return true
    }

    private mutating func skipOp(_ op: String) -> Bool {
        guard isOp(current, op) else { return false }
        advance()
        return true
    }

    private mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw syntaxError("expected '\(op)', got \(describe(current))") }
    }

    private mutating func expectName() throws -> String {
        guard case .name(let name) = current.kind else { throw syntaxError("expected a name, got \(describe(current))") }
        advance()
        return name
    }

    private mutating func expectBlockEnd() throws {
        guard case .blockEnd = current.kind else {
            throw syntaxError("expected end of statement block, got \(describe(current))")
        }
        advance()
    }

    private func syntaxError(_ message: String) -> TemplateError {
        TemplateError(.syntax, message, line: current.line)
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .text: return "template text"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "end of statement block"
        case .name(let n): return "'\(n)'"
        case .string(let s): return pythonStringRepr(s)
        case .integer(let i): return "\(i)"
        case .float(let d): return pythonFloatRepr(d)
        case .op(let o): return "'\(o)'"
        case .end: return "end of template"
        }
    }

    // MARK: - Template structure

    /// Nodes up to one of `endTags` (the `{% tag` is consumed; the rest of that tag is the caller's).
    private mutating func parseBody(until endTags: Set<String>) throws -> ([Node], String?) {
        var nodes: [Node] = []
        while true {
            let token = current
            switch token.kind {
            case .text(let text):
                nodes.append(.text(text))
                advance()
            case .variableBegin:
                advance()
                let expr = try parseTuple()
                guard case .variableEnd = current.kind else {
                    throw syntaxError("expected end of print statement, got \(describe(current))")
                }
                advance()
                nodes.append(.output(expr))
            case .blockBegin:
                advance()
                if case .name(let tag) = current.kind, endTags.contains(tag) {
                    advance()
                    return (nodes, tag)
                }
                nodes.append(try parseStatement(endTags: endTags))
            case .end:
                if !endTags.isEmpty {
                    let wanted = endTags.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw TemplateError(.syntax, "Unexpected end of template. Jinja was looking for the following tags: \(wanted).", line: token.line)
                }
                return (nodes, nil)
            default:
                throw syntaxError("unexpected \(describe(token))")
            }
        }
    }

    private mutating func parseStatement(endTags: Set<String>) throws -> Node {
        let line = current.line
        guard case .name(let tag) = current.kind else { throw syntaxError("tag name expected") }
        advance()
        switch tag {
        case "for": return try parseFor(line: line)
        case "if": return try parseIf()
        case "set": return try parseSet(line: line)
        case "macro": return try parseMacro(line: line)
        case "break", "continue":
            guard loopDepth > 0 else { throw TemplateError(.syntax, "'\(tag)' outside of a loop", line: line) }
            try expectBlockEnd()
            return tag == "break" ? .breakLoop(line: line) : .continueLoop(line: line)
        case "filter":
            var filters: [(name: String, arguments: [Argument], line: Int)] = []
            repeat {
                let filterLine = current.line
                var name = try expectName()
                while skipOp(".") { name += "." + (try expectName()) }
                filters.append((name, isOp(current, "(") ? try parseCallArguments() : [], filterLine))
            } while skipOp("|")
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters, body)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try expectBlockEnd()
            return .generation(body)
        default:
            if Parser.unsupportedTags.contains(tag) {
                throw TemplateError(.unsupported, "'{% \(tag) %}' tag", line: line)
            }
            if tag.hasPrefix("end") || ["else", "elif"].contains(tag) {
                var message = "Encountered unknown tag '\(tag)'."
                if !endTags.isEmpty {
                    message += " Jinja was looking for the following tags: " + endTags.sorted().map { "'\($0)'" }.joined(separator: " or ") + "."
                }
                throw TemplateError(.syntax, message, line: line)
            }
            throw TemplateError(.unsupported, "unknown tag '\(tag)'", line: line)
        }
    }

    private mutating func parseFor(line: Int) throws -> Node {
        let target = try parseAssignTarget(allowNamespace: false, extraEndNames: ["in"])
        guard skipName("in") else { throw syntaxError("expected 'in', got \(describe(current))") }
        let iterable = try parseTuple(withCondexpr: false, extraEndNames: ["recursive"])
        var condition: Expr? = nil
        if skipName("if") { condition = try parseExpression() }
        if isName(current, "recursive") {
            throw TemplateError(.unsupported, "recursive for loop", line: current.line)
        }
        try expectBlockEnd()
        loopDepth += 1
        let (body, end) = try parseBody(until: ["endfor", "else"])
        loopDepth -= 1
        var otherwise: [Node]? = nil
        if end == "else" {
            try expectBlockEnd()
            (otherwise, _) = try parseBody(until: ["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(ForLoop(target: target, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line))
    }

    private mutating func parseIf() throws -> Node {
        var branches: [(condition: Expr, body: [Node])] = []
        var condition = try parseTuple(withCondexpr: false)
        while true {
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(withCondexpr: false)
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(until: ["endif"])
                try expectBlockEnd()
                return .ifChain(branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .ifChain(branches, otherwise: nil)
            }
        }
    }

    private mutating func parseSet(line: Int) throws -> Node {
        let target = try parseAssignTarget(allowNamespace: true, extraEndNames: [])
        if skipOp("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, line: line)
        }
        if isOp(current, "|") {
            throw TemplateError(.unsupported, "filter on a '{% set %}' block", line: current.line)
        }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"])
        try expectBlockEnd()
        return .setBlock(target, body, line: line)
    }

    private mutating func parseMacro(line: Int) throws -> Node {
        let name = try expectName()
        try expectOp("(")
        var parameters: [(name: String, defaultValue: Expr?)] = []
        while !isOp(current, ")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(current, "*") || isOp(current, "**") {
                throw TemplateError(.unsupported, "*args / **kwargs in a macro signature", line: current.line)
            }
            let parameter = try expectName()
            var defaultValue: Expr? = nil
            if skipOp("=") {
                defaultValue = try parseExpression()
            } else if parameters.contains(where: { $0.defaultValue != nil }) {
                throw syntaxError("non-default argument follows default argument")
            }
            parameters.append((parameter, defaultValue))
        }
        try expectOp(")")
        try expectBlockEnd()
        let savedDepth = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(until: ["endmacro"])
        loopDepth = savedDepth
        try expectBlockEnd()
        return .macro(MacroDefinition(name: name, parameters: parameters, body: body, line: line))
    }

    /// A name, `ns.attr` (for set), or names separated by commas (possibly parenthesised).
    private mutating func parseAssignTarget(allowNamespace: Bool, extraEndNames: Set<String>) throws -> AssignTarget {
        if allowNamespace, case .name(let object) = current.kind, isOp(look(), ".") {
            advance()
            advance()
            let attribute = try expectName()
            return .namespaceAttribute(object, attribute)
        }
        var targets: [AssignTarget] = []
        var isTuple = false
        while true {
            if !targets.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEndNames) { break }
            targets.append(try parseSingleTarget())
            if isOp(current, ",") { isTuple = true } else { break }
        }
        guard let first = targets.first else { throw syntaxError("expected an assignment target") }
        return isTuple ? .tuple(targets) : first
    }

    private mutating func parseSingleTarget() throws -> AssignTarget {
        if skipOp("(") {
            let inner = try parseAssignTarget(allowNamespace: false, extraEndNames: [])
            try expectOp(")")
            return inner
        }
        guard case .name(let name) = current.kind else {
            throw syntaxError("can't assign to \(describe(current))")
        }
        if ["true", "false", "none", "True", "False", "None"].contains(name) {
            throw syntaxError("can't assign to constant '\(name)'")
        }
        advance()
        return .name(name)
    }

    private func isTupleEnd(_ extraEndNames: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .end: return true
        case .op(")"): return true
        case .name(let n): return extraEndNames.contains(n)
        default: return false
        }
    }

    // MARK: - Expressions (jinja2 Parser.parse_expression and below)

    private mutating func parseTuple(withCondexpr: Bool = true, extraEndNames: Set<String> = [], explicitParentheses: Bool = false) throws -> Expr {
        let line = current.line
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEndNames) { break }
            items.append(try parseExpression(withCondexpr: withCondexpr))
            if isOp(current, ",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw syntaxError("Expected an expression, got \(describe(current))") }
        }
        return Expr(kind: .tuple(items), line: line)
    }

    private mutating func parseExpression(withCondexpr: Bool = true) throws -> Expr {
        withCondexpr ? try parseCondexpr() : try parseOr()
    }

    private mutating func parseCondexpr() throws -> Expr {
        var expr = try parseOr()
        while isName(current, "if") {
            let line = current.line
            advance()
            let condition = try parseOr()
            var otherwise: Expr? = nil
            if skipName("else") { otherwise = try parseCondexpr() }
            expr = Expr(kind: .conditional(condition: condition, then: expr, otherwise: otherwise), line: line)
        }
        return expr
    }

    private mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while isName(current, "or") {
            let line = current.line
            advance()
            left = Expr(kind: .binary(.or, left, try parseAnd()), line: line)
        }
        return left
    }

    private mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while isName(current, "and") {
            let line = current.line
            advance()
            left = Expr(kind: .binary(.and, left, try parseNot()), line: line)
        }
        return left
    }

    private mutating func parseNot() throws -> Expr {
        if isName(current, "not") {
            let line = current.line
            advance()
            return Expr(kind: .unary(.not, try parseNot()), line: line)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> Expr {
        let line = current.line
        let first = try parseMath1()
        var operations: [(CompareOperator, Expr)] = []
        while true {
            if case .op(let op) = current.kind, let comparison = CompareOperator(rawValue: op), comparison != .in {
                advance()
                operations.append((comparison, try parseMath1()))
            } else if skipName("in") {
                operations.append((.in, try parseMath1()))
            } else if isName(current, "not"), isName(look(), "in") {
                advance()
                advance()
                operations.append((.notIn, try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? first : Expr(kind: .compare(first, operations), line: line)
    }

    private mutating func parseMath1() throws -> Expr {
        var left = try parseConcat()
        while case .op(let op) = current.kind, op == "+" || op == "-" {
            let line = current.line
            advance()
            left = Expr(kind: .binary(op == "+" ? .add : .subtract, left, try parseConcat()), line: line)
        }
        return left
    }

    private mutating func parseConcat() throws -> Expr {
        var left = try parseMath2()
        while isOp(current, "~") {
            let line = current.line
            advance()
            left = Expr(kind: .binary(.concat, left, try parseMath2()), line: line)
        }
        return left
    }

    private mutating func parseMath2() throws -> Expr {
        var left = try parsePow()
        while case .op(let op) = current.kind, let binary = ["*": BinaryOperator.multiply, "/": .divide, "//": .floorDivide, "%": .modulo][op] {
            let line = current.line
            advance()
            left = Expr(kind: .binary(binary, left, try parsePow()), line: line)
        }
        return left
    }

    private mutating func parsePow() throws -> Expr {
        var left = try parseUnary()
        while isOp(current, "**") {
            let line = current.line
            advance()
            left = Expr(kind: .binary(.power, left, try parseUnary()), line: line)
        }
        return left
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        let line = current.line
        var node: Expr
        if skipOp("-") {
            node = Expr(kind: .unary(.negate, try parseUnary(withFilter: false)), line: line)
        } else if skipOp("+") {
            node = Expr(kind: .unary(.plus, try parseUnary(withFilter: false)), line: line)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    private mutating func parsePrimary() throws -> Expr {
        let token = current
        let line = token.line
        switch token.kind {
        case .name(let name):
            advance()
            switch name {
            case "true", "True": return Expr(kind: .constant(.bool(true)), line: line)
            case "false", "False": return Expr(kind: .constant(.bool(false)), line: line)
            case "none", "None": return Expr(kind: .constant(.none), line: line)
            default: return Expr(kind: .name(name), line: line)
            }
        case .string(let first):
            advance()
            var text = first
            while case .string(let more) = current.kind {
                text += more
                advance()
            }
            return Expr(kind: .constant(.string(text)), line: line)
        case .integer(let i):
            advance()
            return Expr(kind: .constant(.int(i)), line: line)
        case .float(let d):
            advance()
            return Expr(kind: .constant(.double(d)), line: line)
        case .op("("):
            advance()
            let inner = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return inner
        case .op("["):
            advance()
            var items: [Expr] = []
            while !isOp(current, "]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp(current, "]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return Expr(kind: .list(items), line: line)
        case .op("{"):
            advance()
            var items: [(key: Expr, value: Expr)] = []
            while !isOp(current, "}") {
                if !items.isEmpty { try expectOp(",") }
                if isOp(current, "}") { break }
                let key = try parseExpression()
                try expectOp(":")
                items.append((key, try parseExpression()))
            }
            try expectOp("}")
            return Expr(kind: .dictionary(items), line: line)
        default:
            throw syntaxError("unexpected \(describe(token))")
        }
    }

    private mutating func parsePostfix(_ start: Expr) throws -> Expr {
        var node = start
        while true {
            if isOp(current, ".") || isOp(current, "[") {
                node = try parseSubscript(node)
            } else if isOp(current, "(") {
                node = Expr(kind: .call(node, try parseCallArguments()), line: current.line)
            } else {
                return node
            }
        }
    }

    private mutating func parseFilterExpression(_ start: Expr) throws -> Expr {
        var node = start
        while true {
            if isOp(current, "|") {
                node = try parseFilter(node)
            } else if isName(current, "is") {
                node = try parseTest(node)
            } else if isOp(current, "(") {
                node = Expr(kind: .call(node, try parseCallArguments()), line: current.line)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ node: Expr) throws -> Expr {
        let line = current.line
        if skipOp(".") {
            switch current.kind {
            case .name(let attribute):
                advance()
                return Expr(kind: .attribute(node, attribute), line: line)
            case .integer(let i):
                advance()
                return Expr(kind: .item(node, Expr(kind: .constant(.int(i)), line: line)), line: line)
            default:
                throw syntaxError("expected name or number")
            }
        }
        try expectOp("[")
        var subscripts: [Subscript] = []
        while !isOp(current, "]") {
            if !subscripts.isEmpty { try expectOp(",") }
            subscripts.append(try parseSubscribed())
        }
        try expectOp("]")
        guard subscripts.count == 1 else {
            throw TemplateError(.unsupported, "subscript with several indices", line: line)
        }
        switch subscripts[0] {
        case .index(let key): return Expr(kind: .item(node, key), line: line)
        case .slice(let start, let stop, let step): return Expr(kind: .slice(node, start: start, stop: stop, step: step), line: line)
        }
    }

    private enum Subscript {
        case index(Expr)
        case slice(Expr?, Expr?, Expr?)
    }

    private mutating func parseSubscribed() throws -> Subscript {
        var start: Expr? = nil
        if !isOp(current, ":") {
            let node = try parseExpression()
            if !isOp(current, ":") { return .index(node) }
            start = node
        }
        advance()  // the ':'
        var stop: Expr? = nil
        if !isOp(current, ":"), !isOp(current, "]"), !isOp(current, ",") { stop = try parseExpression() }
        var step: Expr? = nil
        if skipOp(":"), !isOp(current, "]"), !isOp(current, ",") { step = try parseExpression() }
        return .slice(start, stop, step)
    }

    private mutating func parseCallArguments() throws -> [Argument] {
        try expectOp("(")
        var arguments: [Argument] = []
        var requireComma = false
        while !isOp(current, ")") {
            if requireComma {
                try expectOp(",")
                if isOp(current, ")") { break }
            }
            if isOp(current, "*") || isOp(current, "**") {
                throw TemplateError(.unsupported, "*args / **kwargs in a call", line: current.line)
            }
            if case .name(let key) = current.kind, isOp(look(), "=") {
                advance()
                advance()
                arguments.append(Argument(name: key, value: try parseExpression()))
            } else {
                if arguments.contains(where: { $0.name != nil }) { throw syntaxError("Invalid argument syntax") }
                arguments.append(Argument(name: nil, value: try parseExpression()))
            }
            requireComma = true
        }
        try expectOp(")")
        return arguments
    }

    private mutating func parseFilter(_ node: Expr) throws -> Expr {
        let line = current.line
        advance()  // '|'
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        let arguments = isOp(current, "(") ? try parseCallArguments() : []
        return Expr(kind: .filter(node, name: name, arguments), line: line)
    }

    private mutating func parseTest(_ node: Expr) throws -> Expr {
        let line = current.line
        advance()  // 'is'
        let negated = skipName("not")
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        var arguments: [Argument] = []
        if isOp(current, "(") {
            arguments = try parseCallArguments()
        } else {
            let startsArgument: Bool
            switch current.kind {
            case .name(let n): startsArgument = !["else", "or", "and"].contains(n)
            case .string, .integer, .float, .op("["), .op("{"): startsArgument = true
            default: startsArgument = false
            }
            if startsArgument {
                if isName(current, "is") { throw syntaxError("You cannot chain multiple tests with is") }
                arguments = [Argument(name: nil, value: try parsePostfix(try parsePrimary()))]
            }
        }
        return Expr(kind: .test(node, name: name, arguments, negated: negated), line: line)
    }
}
