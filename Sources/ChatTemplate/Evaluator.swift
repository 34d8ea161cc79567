// Runs a parsed template against a context. Statement semantics follow jinja2's compiled code:
//   - a for loop gives every iteration a fresh scope over the enclosing one, so `set` inside a loop
//     never leaks out (nor into the next iteration); that is why templates use namespace().
//   - `if` opens no scope: a `set` inside an `if` at top level is visible after it.
//   - `loop` counts the items that passed the loop's `if` filter; `else` runs when none did.
// Expression semantics (Python operators, attribute/item lookup, undefined values) live in the
// extensions in Operators.swift, Lookup.swift, Filters.swift, Tests.swift, Methods.swift, Globals.swift.

/// Variables visible at one level of nesting.
final class Scope {
    private var variables: [String: Value] = [:]
    let parent: Scope?

    init(parent: Scope?) { self.parent = parent }

    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let current = scope {
            if let value = current.variables[name] { return value }
            scope = current.parent
        }
        return nil
    }

    func set(_ name: String, _ value: Value) { variables[name] = value }
}

/// Arguments of a call, filter or test, evaluated.
struct Arguments {
    var positional: [Value] = []
    var keyword: [(name: String, value: Value)] = []

    var isEmpty: Bool { positional.isEmpty && keyword.isEmpty }

    /// Python-style binding of positional then keyword arguments to `parameters`;
    /// parameters missing from the call get nil (the callee applies its default).
    func bind(_ parameters: [String], to function: String, line: Int) throws -> [Value?] {
        guard positional.count <= parameters.count else {
            throw TemplateError(.type, "\(function)() takes at most \(parameters.count) arguments (\(positional.count) given)", line: line)
        }
        var bound: [Value?] = positional.map { $0 } + Array(repeating: nil, count: parameters.count - positional.count)
        for (name, value) in keyword {
            guard let index = parameters.firstIndex(of: name) else {
                throw TemplateError(.type, "\(function)() got an unexpected keyword argument '\(name)'", line: line)
            }
            guard bound[index] == nil else {
                throw TemplateError(.type, "\(function)() got multiple values for argument '\(name)'", line: line)
            }
            bound[index] = value
        }
        return bound
    }
}

/// Flow out of a list of statements: normally, or by `{% break %}` / `{% continue %}`.
enum ControlFlow {
    case normal, breakLoop, continueLoop
}

final class Evaluator {
    let rootScope: Scope

    init(context: [String: Value]) {
        let contextScope = Scope(parent: nil)
        for (name, value) in context { contextScope.set(name, value) }
        rootScope = Scope(parent: contextScope)
    }

    func render(_ nodes: [Node]) throws -> String {
        var output = ""
        _ = try execute(nodes, in: rootScope, into: &output)
        return output
    }

    // MARK: - Statements

    func execute(_ nodes: [Node], in scope: Scope, into output: inout String) throws -> ControlFlow {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .output(let expr):
                output += try outputText(try evaluate(expr, in: scope), line: expr.line)
            case .forLoop(let loop):
                try executeFor(loop, in: scope, into: &output)
            case .ifChain(let branches, let otherwise):
                var taken: [Node]? = otherwise
                for branch in branches where try evaluate(branch.condition, in: scope).isTruthy {
                    taken = branch.body
                    break
                }
                if let body = taken {
                    let flow = try execute(body, in: scope, into: &output)
                    if flow != .normal { return flow }
                }
            case .set(let target, let expr, let line):
                try assign(try evaluate(expr, in: scope), to: target, in: scope, line: line)
            case .setBlock(let target, let body, let line):
                var captured = ""
                _ = try execute(body, in: scope, into: &captured)
                try assign(.string(captured), to: target, in: scope, line: line)
            case .macro(let definition):
                scope.set(definition.name, .callable(.macro(MacroClosure(definition: definition, scope: scope))))
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            case .filterBlock(let filters, let body):
                var captured = ""
                _ = try execute(body, in: Scope(parent: scope), into: &captured)
                var value = Value.string(captured)
                for filter in filters {
                    var arguments = Arguments()
                    for argument in filter.arguments {
                        let evaluated = try evaluate(argument.value, in: scope)
                        if let name = argument.name { arguments.keyword.append((name, evaluated)) } else { arguments.positional.append(evaluated) }
                    }
                    value = try Filters.apply(filter.name, to: value, with: arguments, evaluator: self, line: filter.line)
                }
                output += try outputText(value, line: filters.first?.line ?? 0)
            case .generation(let body):
                let flow = try execute(body, in: scope, into: &output)
                if flow != .normal { return flow }
            }
        }
        return .normal
    }

    private func executeFor(_ loop: ForLoop, in scope: Scope, into output: inout String) throws {
        var items = try iterate(try evaluate(loop.iterable, in: scope), line: loop.line)
        if let condition = loop.condition {
            items = try items.filter { item in
                let filterScope = Scope(parent: scope)
                try assign(item, to: loop.target, in: filterScope, line: loop.line)
                return try evaluate(condition, in: filterScope).isTruthy
            }
        }
        if items.isEmpty {
            if let otherwise = loop.otherwise {
                _ = try execute(otherwise, in: Scope(parent: scope), into: &output)
            }
            return
        }
        let state = LoopState(items: items)
        for (index, item) in items.enumerated() {
            state.index0 = index
            let iterationScope = Scope(parent: scope)
            iterationScope.set("loop", .loop(state))
            try assign(item, to: loop.target, in: iterationScope, line: loop.line)
            if try execute(loop.body, in: iterationScope, into: &output) == .breakLoop { break }
        }
    }

    func assign(_ value: Value, to target: AssignTarget, in scope: Scope, line: Int) throws {
        switch target {
        case .name(let name):
            scope.set(name, value)
        case .tuple(let targets):
            let items = try iterate(value, line: line)
            guard items.count == targets.count else {
                let message = items.count < targets.count
                    ? "not enough values to unpack (expected \(targets.count), got \(items.count))"
                    : "too many values to unpack (expected \(targets.count))"
                throw TemplateError(.runtime, message, line: line)
            }
            for (item, inner) in zip(items, targets) { try assign(item, to: inner, in: scope, line: line) }
        case .namespaceAttribute(let object, let attribute):
            guard case .namespace(let namespace) = scope.lookup(object) ?? .undefined(.variable(object)) else {
                throw TemplateError(.runtime, "cannot assign attribute on non-namespace object", line: line)
            }
            namespace.attributes[attribute] = value
        }
    }

    // MARK: - Expressions

    func evaluate(_ expr: Expr, in scope: Scope) throws -> Value {
        do {
            return try evaluateUnlocated(expr, in: scope)
        } catch let error as TemplateError {
            throw error.at(line: expr.line)
        }
    }

    private func evaluateUnlocated(_ expr: Expr, in scope: Scope) throws -> Value {
        let line = expr.line
        switch expr.kind {
        case .constant(let constant):
            switch constant {
            case .none: return .none
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            case .string(let s): return .string(s)
            }
        case .name(let name):
            if let value = scope.lookup(name) { return value }
            if Globals.names.contains(name) { return .callable(.global(name)) }
            return .undefined(.variable(name))
        case .list(let items):
            return .array(try items.map { try evaluate($0, in: scope) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, in: scope) })
        case .dictionary(let pairs):
            var dictionary = ValueDictionary()
            for pair in pairs {
                guard case .string(let key) = try evaluate(pair.key, in: scope) else {
                    throw TemplateError(.unsupported, "dictionary literal with a non-string key", line: line)
                }
                dictionary[key] = try evaluate(pair.value, in: scope)
            }
            return .dictionary(dictionary)
        case .attribute(let object, let name):
            return try attribute(name, of: try evaluate(object, in: scope), line: line)
        case .item(let object, let key):
            return try item(try evaluate(key, in: scope), of: try evaluate(object, in: scope), line: line)
        case .slice(let object, let start, let stop, let step):
            let value = try evaluate(object, in: scope)
            return try slice(value,
                             start: try start.map { try evaluate($0, in: scope) },
                             stop: try stop.map { try evaluate($0, in: scope) },
                             step: try step.map { try evaluate($0, in: scope) }, line: line)
        case .call(let callee, let arguments):
            let function = try evaluate(callee, in: scope)
            return try call(function, with: try evaluateArguments(arguments, in: scope), line: line)
        case .filter(let input, let name, let arguments):
            let value = try evaluate(input, in: scope)
            return try Filters.apply(name, to: value, with: try evaluateArguments(arguments, in: scope), evaluator: self, line: line)
        case .test(let input, let name, let arguments, let negated):
            let value = try evaluate(input, in: scope)
            let result = try Tests.apply(name, to: value, with: try evaluateArguments(arguments, in: scope), evaluator: self, line: line)
            return .bool(result != negated)
        case .unary(let op, let operand):
            let value = try evaluate(operand, in: scope)
            switch op {
            case .not: return .bool(!value.isTruthy)
            case .negate: return try negate(value, line: line)
            case .plus: return try unaryPlus(value, line: line)
            }
        case .binary(let op, let leftExpr, let rightExpr):
            let left = try evaluate(leftExpr, in: scope)
            switch op {
            case .and: return left.isTruthy ? try evaluate(rightExpr, in: scope) : left
            case .or: return left.isTruthy ? left : try evaluate(rightExpr, in: scope)
            default: return try binary(op, left, try evaluate(rightExpr, in: scope), line: line)
            }
        case .compare(let firstExpr, let operations):
            var left = try evaluate(firstExpr, in: scope)
            for (op, rightExpr) in operations {
                let right = try evaluate(rightExpr, in: scope)
                if !(try compare(left, op, right, line: line)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, in: scope).isTruthy { return try evaluate(then, in: scope) }
            if let otherwise { return try evaluate(otherwise, in: scope) }
            return .undefined(UndefinedHint(message: "the inline if-expression on line \(line) evaluated to false and no else section was defined."))
        }
    }

    private func evaluateArguments(_ arguments: [Argument], in scope: Scope) throws -> Arguments {
        var evaluated = Arguments()
        for argument in arguments {
            let value = try evaluate(argument.value, in: scope)
            if let name = argument.name {
                evaluated.keyword.append((name, value))
            } else {
                evaluated.positional.append(value)
            }
        }
        return evaluated
    }

    // MARK: - Calls

    func call(_ function: Value, with arguments: Arguments, line: Int) throws -> Value {
        switch function {
        case .callable(.global(let name)):
            return try Globals.call(name, with: arguments, evaluator: self, line: line)
        case .callable(.method(let receiver, let name)):
            return try Methods.call(name, on: receiver, with: arguments, evaluator: self, line: line)
        case .callable(.macro(let closure)):
            return try callMacro(closure, with: arguments, line: line)
        case .callable(.loopCycle(let state)):
            guard !arguments.positional.isEmpty else { throw TemplateError(.type, "no items for cycling given", line: line) }
            return arguments.positional[state.index0 % arguments.positional.count]
        case .undefined(let hint):
            throw TemplateError(.undefined, hint.message, line: line)
        default:
            throw TemplateError(.type, "'\(function.pythonTypeName)' object is not callable", line: line)
        }
    }

    private func callMacro(_ closure: MacroClosure, with arguments: Arguments, line: Int) throws -> Value {
        let definition = closure.definition
        let bound = try arguments.bind(definition.parameters.map(\.name), to: definition.name, line: line)
        let macroScope = Scope(parent: closure.scope)
        for (parameter, value) in zip(definition.parameters, bound) {
            if let value {
                macroScope.set(parameter.name, value)
            } else if let defaultExpr = parameter.defaultValue {
                macroScope.set(parameter.name, try evaluate(defaultExpr, in: macroScope))
            } else {
                macroScope.set(parameter.name, .undefined(UndefinedHint(message: "parameter '\(parameter.name)' was not provided")))
            }
        }
        var output = ""
        _ = try execute(definition.body, in: macroScope, into: &output)
        return .string(output)
    }

    // MARK: - Iteration

    /// Python `iter(value)` as jinja2 sees it: Undefined iterates as empty.
    func iterate(_ value: Value, line: Int) throws -> [Value] {
        switch value {
        case .undefined: return []
        case .array(let items), .tuple(let items): return items
        case .dictionary(let d): return d.keys.map { .string($0) }
        case .string(let s), .markup(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .loop(let state): return state.items
        case .iterator(let state): return state.drain()
        default:
            throw TemplateError(.type, "'\(value.pythonTypeName)' object is not iterable", line: line)
        }
    }
}
