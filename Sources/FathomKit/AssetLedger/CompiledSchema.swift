/// A `JSONSchema` read once into typed rules, for the question asked of every asset of a collect: does this value
/// conform? No paths or messages are made on the way (the schema's own walk builds a path string per member it
/// visits, which at 50,000 assets costs more than the checks); a value that does not conform is walked again by
/// `JSONSchema.check` for the path and message.
final class CompiledSchema: Sendable {
    enum Extra: Sendable {
        case allowed
        case forbidden
        case schema(CompiledSchema)
    }

    /// JSON types allowed (`nil`: any).
    let types: [String]?
    let allowedValues: [JSONValue]?
    let minLength: Int?
    let minimum: Double?
    let items: CompiledSchema?
    let required: [String]
    let properties: [String: CompiledSchema]
    let extra: Extra

    init(_ schema: JSONValue) {
        // A schema that is not an object (`true`, `{}` written otherwise) has no rules: everything conforms.
        var rules: [String: JSONValue] = [:]
        if case .object(let declared) = schema { rules = declared }
        switch rules["type"] {
        case .string(let one)?: types = [one]
        case .array(let many)?: types = many.compactMap(\.stringValue)
        case nil: types = nil
        default: types = []
        }
        if case .array(let options)? = rules["enum"] { allowedValues = options } else { allowedValues = nil }
        minLength = rules["minLength"]?.intValue.map { Int($0) }
        minimum = rules["minimum"]?.intValue.map { Double($0) }
        items = rules["items"].map { CompiledSchema($0) }
        if case .array(let names)? = rules["required"] { required = names.compactMap(\.stringValue) } else { required = [] }
        if case .object(let declared)? = rules["properties"] {
            properties = declared.mapValues { CompiledSchema($0) }
        } else {
            properties = [:]
        }
        switch rules["additionalProperties"] {
        case nil: extra = .allowed
        case .bool(false)?: extra = .forbidden
        case let other?: extra = .schema(CompiledSchema(other))
        }
    }

    /// The same verdict as `JSONSchema.check` finding no violation.
    func conforms(_ value: JSONValue) -> Bool {
        if let types, !types.contains(where: { JSONSchema.matches(value, $0) }) { return false }
        if let allowedValues, !allowedValues.contains(value) { return false }
        switch value {
        case .string(let text):
            if let minLength, text.count < minLength { return false }
        case .int(let number):
            if let minimum, Double(number) < minimum { return false }
        case .double(let number):
            if let minimum, number < minimum { return false }
        case .array(let elements):
            if let items {
                for element in elements where !items.conforms(element) { return false }
            }
        case .object(let object):
            for key in required where object[key] == nil { return false }
            for (key, member) in object {
                if let schema = properties[key] {
                    if !schema.conforms(member) { return false }
                } else {
                    switch extra {
                    case .allowed: break
                    case .forbidden: return false
                    case .schema(let schema): if !schema.conforms(member) { return false }
                    }
                }
            }
        default:
            break
        }
        return true
    }
}
