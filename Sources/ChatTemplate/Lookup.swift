// `x.name`, `x[key]` and `x[a:b:c]`, as jinja2's SandboxedEnvironment.getattr / getitem do them:
//   - `x.name` tries a Python attribute first (so `message.items` is dict.items, a method), then the
//     key; `x[key]` tries the key first, then an attribute of that name.
//   - a missing attribute, key or index gives Undefined, not an error; only looking inside an
//     Undefined value raises (jinja2.runtime.Undefined.__getattr__).
//   - methods that would modify a list or dict are refused, as ImmutableSandboxedEnvironment does.

extension Evaluator {
    func attribute(_ name: String, of object: Value, line: Int) throws -> Value {
        let object = object.unmarked
        if case .undefined(let hint) = object { throw TemplateError(.undefined, hint.message, line: line) }
        if let method = Methods.bound(name, on: object) { return method }
        switch object {
        case .dictionary(let d):
            if let value = d[name] { return value }
        case .namespace(let ns):
            if let value = ns.attributes[name] { return value }
        case .loop(let state):
            if let value = loopAttribute(name, of: state) { return value }
        default:
            break
        }
        return .undefined(.member(of: object, .string(name)))
    }

    func item(_ key: Value, of object: Value, line: Int) throws -> Value {
        let object = object.unmarked, key = key.unmarked
        if case .undefined(let hint) = object { throw TemplateError(.undefined, hint.message, line: line) }
        switch (object, key) {
        case (.dictionary(let d), .string(let name)):
            if let value = d[name] { return value }
        case (.array(let items), _), (.tuple(let items), _):
            if let index = key.integerValue {
                let resolved = index < 0 ? index + items.count : index
                if resolved >= 0 && resolved < items.count { return items[resolved] }
            }
        case (.string(let s), _):
            if let index = key.integerValue {
                let scalars = Array(s.unicodeScalars)
                let resolved = index < 0 ? index + scalars.count : index
                if resolved >= 0 && resolved < scalars.count { return .string(String(scalars[resolved])) }
            }
        default:
            break
        }
        if case .string(let name) = key {
            // getitem failed: jinja2 falls back to an attribute of that name.
            if let method = Methods.bound(name, on: object) { return method }
            switch object {
            case .namespace(let ns): if let value = ns.attributes[name] { return value }
            case .loop(let state): if let value = loopAttribute(name, of: state) { return value }
            default: break
            }
        }
        return .undefined(.member(of: object, key))
    }

    /// Python slicing of a list, tuple or str (PySlice_AdjustIndices).
    func slice(_ object: Value, start: Value?, stop: Value?, step: Value?, line: Int) throws -> Value {
        let object = object.unmarked
        if case .undefined(let hint) = object { throw TemplateError(.undefined, hint.message, line: line) }
        func index(_ value: Value?) throws -> Int? {
            guard let value, !(value.isNone) else { return nil }
            guard let i = value.integerValue else {
                throw TemplateError(.type, "slice indices must be integers or None or have an __index__ method", line: line)
            }
            return i
        }
        let stepValue = try index(step) ?? 1
        guard stepValue != 0 else { throw TemplateError(.runtime, "slice step cannot be zero", line: line) }
        func positions(count: Int) throws -> [Int] {
            func adjust(_ raw: Int?, defaultValue: Int) -> Int {
                guard var i = raw else { return defaultValue }
                if i < 0 {
                    i += count
                    if i < 0 { i = stepValue < 0 ? -1 : 0 }
                } else if i >= count {
                    i = stepValue < 0 ? count - 1 : count
                }
                return i
            }
            let from = adjust(try index(start), defaultValue: stepValue < 0 ? count - 1 : 0)
            let to = adjust(try index(stop), defaultValue: stepValue < 0 ? -1 : count)
            return Array(stride(from: from, to: to, by: stepValue))
        }
        switch object {
        case .array(let items): return .array(try positions(count: items.count).map { items[$0] })
        case .tuple(let items): return .tuple(try positions(count: items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try positions(count: scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        default:
            return .undefined(UndefinedHint(message: "'\(object.typeDescriptionForUndefined)' object is not subscriptable"))
        }
    }

    /// jinja2.runtime.LoopContext properties.
    func loopAttribute(_ name: String, of state: LoopState) -> Value? {
        let count = state.items.count
        let i = state.index0
        switch name {
        case "index": return .int(i + 1)
        case "index0": return .int(i)
        case "revindex": return .int(count - i)
        case "revindex0": return .int(count - i - 1)
        case "first": return .bool(i == 0)
        case "last": return .bool(i == count - 1)
        case "length": return .int(count)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem": return i > 0 ? state.items[i - 1] : .undefined(UndefinedHint(message: "there is no previous item"))
        case "nextitem": return i + 1 < count ? state.items[i + 1] : .undefined(UndefinedHint(message: "there is no next item"))
        case "cycle": return .callable(.loopCycle(state))
        default: return nil
        }
    }
}

extension Value {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
