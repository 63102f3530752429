import Foundation

/// The subset of JSON Schema (2020-12) the collector schemas use: `type` (one or several), `enum`, `required`,
/// `properties`, `additionalProperties` (false or a schema), `items`, `minLength`, `minimum`. A violation is reported
/// with the JSON path where it happened (`assets[3].normalized.network.ip_addresses[0]`).
struct JSONSchema: Sendable {
    let root: JSONValue
    private let compiled: CompiledSchema

    init(text: String) {
        root = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? [:]
        compiled = CompiledSchema(root)
    }

    /// Whether the value conforms, without the path and message of a violation (cheap enough for every asset).
    func conforms(_ value: JSONValue) -> Bool { compiled.conforms(value) }

    /// The first violation as (path, message), nil when the value conforms.
    func violation(_ value: JSONValue, at path: String) -> (path: String, message: String)? {
        // The compiled rules first (fast, no paths); a document that breaks the schema is walked again in key order
        // so the reported path is the same every time.
        guard !compiled.conforms(value) else { return nil }
        return Self.check(value, root, path)
    }

    /// The first violation in key order, with its path.
    private static func check(_ value: JSONValue, _ schema: JSONValue, _ path: String) -> (path: String, message: String)? {
        guard case .object(let rules) = schema else { return nil }
        if let type = rules["type"] {
            let allowed: [String]
            switch type {
            case .string(let one): allowed = [one]
            case .array(let many): allowed = many.compactMap(\.stringValue)
            default: allowed = []
            }
            if !allowed.contains(where: { matches(value, $0) }) {
                return (path, "expected \(allowed.joined(separator: " or ")), got \(name(value))")
            }
        }
        if case .array(let options)? = rules["enum"], !options.contains(value) {
            let shown = options.compactMap(\.stringValue).joined(separator: ", ")
            return (path, "must be one of \(shown)")
        }
        switch value {
        case .string(let text):
            if let min = rules["minLength"]?.intValue, text.count < min { return (path, "must not be empty") }
        case .int, .double:
            if let min = rules["minimum"]?.intValue, let number = numeric(value), number < Double(min) {
                return (path, "must be at least \(min)")
            }
        case .array(let items):
            if let itemSchema = rules["items"] {
                for (index, item) in items.enumerated() {
                    if let found = check(item, itemSchema, "\(path)[\(index)]") { return found }
                }
            }
        case .object(let object):
            if case .array(let required)? = rules["required"] {
                for key in required.compactMap(\.stringValue) where object[key] == nil {
                    return (join(path, key), "is required")
                }
            }
            let properties: [String: JSONValue]
            if case .object(let declared)? = rules["properties"] { properties = declared } else { properties = [:] }
            for (key, item) in object.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[key] {
                    if let found = check(item, propertySchema, join(path, key)) { return found }
                } else if let extra = rules["additionalProperties"] {
                    if extra == .bool(false) { return (join(path, key), "is not allowed here") }
                    if let found = check(item, extra, join(path, key)) { return found }
                }
            }
        default:
            break
        }
        return nil
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    private static func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: return nil
        }
    }

    /// Whether the value is of the JSON Schema type named (`integer` includes whole doubles).
    static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("integer", .int), ("number", .int), ("number", .double): return true
        case ("integer", .double(let number)): return number == number.rounded()
        default: return false
        }
    }

    private static func name(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
