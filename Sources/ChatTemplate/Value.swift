// The values a template computes with, inside the evaluator. They follow Python's data model as
// jinja2 sees it: ints and floats mix, bool is an int, lists and tuples are sequences that print
// differently, and `Undefined` (a missing variable or key) renders as "" and is falsy, but raises
// when you look inside it. See jinja2/runtime.py (class Undefined) for the behaviour mirrored here.

/// Why a value is undefined: the message jinja2's UndefinedError would carry if it is used wrongly.
struct UndefinedHint {
    let message: String

    /// `'name' is undefined` (jinja2 Undefined._undefined_message with no object).
    static func variable(_ name: String) -> UndefinedHint {
        UndefinedHint(message: "'\(name)' is undefined")
    }

    /// `'dict object' has no attribute 'x'` / `'list object' has no element 5`.
    static func member(of object: Value, _ key: Value) -> UndefinedHint {
        let owner = object.typeDescriptionForUndefined
        if case .string(let name) = key {
            return UndefinedHint(message: "'\(owner)' has no attribute '\(name)'")
        }
        return UndefinedHint(message: "\(owner) has no element \(key.pythonRepr)")
    }
}

/// A mutable object created by `namespace(...)`; `{% set ns.attr = ... %}` writes through it,
/// which is how templates carry state out of a for loop.
final class Namespace {
    var attributes: ValueDictionary
    init(_ attributes: ValueDictionary) { self.attributes = attributes }
}

/// The `loop` variable inside a for loop (jinja2.runtime.LoopContext).
final class LoopState {
    let items: [Value]
    var index0 = 0
    init(items: [Value]) { self.items = items }
}

/// A one-shot Python iterator: what jinja2's map / select / selectattr / reject / rejectattr / unique /
/// items filters (generators) and `reverse` (list_reverseiterator) return. Unlike a list it is always
/// truthy, has no length, cannot be written as JSON, and is empty once iterated; templates that forget
/// `| list` depend on exactly that.
final class IteratorState {
    /// Python's type name: "generator" or "list_reverseiterator".
    let typeName: String
    var remaining: ArraySlice<Value>
    init(typeName: String, items: [Value]) {
        self.typeName = typeName
        self.remaining = items[...]
    }

    /// Takes everything left (Python: iterating to the end).
    func drain() -> [Value] {
        defer { remaining = [] }
        return Array(remaining)
    }

    /// Takes the next item (Python: next(it)).
    func next() -> Value? { remaining.popFirst() }
}

/// A callable value: a global function, a bound method of a value, or a template macro.
enum Callable {
    case global(String)
    case method(receiver: Value, name: String)
    case macro(MacroClosure)
    case loopCycle(LoopState)
}

/// A macro together with the scope it was defined in, so its body sees the variables around it.
final class MacroClosure {
    let definition: MacroDefinition
    let scope: Scope
    init(definition: MacroDefinition, scope: Scope) {
        self.definition = definition
        self.scope = scope
    }
}

/// A runtime value.
indirect enum Value {
    case undefined(UndefinedHint)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// markupsafe.Markup, made by the `safe` filter: `Markup + str` HTML-escapes the str.
    case markup(String)
    case array([Value])
    case tuple([Value])
    case iterator(IteratorState)
    case dictionary(ValueDictionary)
    case namespace(Namespace)
    case loop(LoopState)
    case callable(Callable)


    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python truthiness; Undefined is falsy.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s), .markup(let s): return !s.isEmpty
        case .array(let a), .tuple(let a): return !a.isEmpty
        case .iterator: return true
        case .dictionary(let d): return !d.isEmpty
        case .namespace, .loop, .callable: return true
        }
    }

    /// Python's type name, for error messages (`can only concatenate str (not "int") to str`).
    var pythonTypeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .array: return "list"
        case .tuple: return "tuple"
        case .iterator(let state): return state.typeName
        case .dictionary: return "dict"
        case .namespace: return "Namespace"
        case .loop: return "LoopContext"
        case .callable: return "function"
        }
    }

    /// jinja2.utils.object_type_repr: "dict object", or "None" for None.
    var typeDescriptionForUndefined: String {
        if case .none = self { return "None" }
        return "\(pythonTypeName) object"
    }

    /// Markup behaves as the str it holds everywhere but in `+` and output; other operations see this.
    var unmarked: Value {
        if case .markup(let s) = self { return .string(s) }
        return self
    }

    /// The number as a Double when this is an int, float or bool.
    var numericValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The integer when this is an int or a bool (Python's bool is an int).
    var integerValue: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
}

/// A dictionary inside the evaluator: string keys in insertion order, like TemplateDictionary.
struct ValueDictionary {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    init() {}

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var pairs: [(key: String, value: Value)] { keys.map { ($0, storage[$0]!) } }
    var values: [Value] { keys.map { storage[$0]! } }
}

// MARK: - Conversion from and to the public TemplateValue

extension Value {
    init(_ value: TemplateValue) {
        switch value {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(Value.init))
        case .dictionary(let d):
            var out = ValueDictionary()
            for (key, item) in d { out[key] = Value(item) }
            self = .dictionary(out)
        }
    }
}
