/// Parameters and request bodies in the OpenAPI document, typed as the server reads them rather than as the
/// declarations' plain JSON types: the document must admit every value the server accepts.
enum OpenAPIParameters {
    /// Paging parameters: a value that is not a positive integer falls back to the default and one over the
    /// maximum is clamped (DESIGN.md "Pagination"), so any text is a valid value.
    static let pagingNames: Set<String> = ["page", "limit", "pageSize", "page_size"]

    static func all(_ route: RouteSpec) -> [JSONValue] {
        var parameters: [JSONValue] = route.pathParameters.map { name in
            ["name": .string(name), "in": "path", "required": true, "schema": Schemas.string]
        }
        // Every query reader takes an empty value (`?state=`) as the parameter left out.
        parameters += route.query.map { name, schema in
            ["name": .string(name), "in": "query", "required": false, "allowEmptyValue": true, "schema": query(name, schema)]
        }
        return parameters
    }

    static func query(_ name: String, _ schema: JSONValue) -> JSONValue {
        if pagingNames.contains(name) { return Schemas.fallbackInteger }
        if schema["type"]?.stringValue == "boolean" { return lenientBoolean }
        if schema["type"]?.stringValue == "array" {
            // Lists are read as text: every value of the repeated key, each split at commas.
            return ["type": "string", "description": "A comma-separated list; the parameter may also be repeated (tags=a&tags=b)"]
        }
        return schema
    }

    /// Booleans in a query are read case-insensitively as true/false, yes/no or 1/0.
    static let lenientBoolean: JSONValue = [
        "anyOf": [
            ["type": "boolean"],
            ["type": "string", "pattern": #"^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]|1|0)\s*$"#],
        ]
    ]

    /// A request body's schema with every optional property also admitting `null`: bodies are decoded so that a
    /// `null` optional field means the field left out.
    static func requestBody(_ schema: JSONValue) -> JSONValue {
        guard case .object(var object) = schema else { return schema }
        if case .object(let properties)? = object["properties"] {
            var required = Set<String>()
            if case .array(let names)? = object["required"] { required = Set(names.compactMap(\.stringValue)) }
            var rewritten: [String: JSONValue] = [:]
            for (key, property) in properties {
                rewritten[key] = required.contains(key) ? requestBody(property) : nullable(requestBody(property))
            }
            object["properties"] = .object(rewritten)
        }
        if let items = object["items"] { object["items"] = requestBody(items) }
        if let values = object["additionalProperties"], case .object = values {
            object["additionalProperties"] = requestBody(values)
        }
        return .object(object)
    }

    static func nullable(_ schema: JSONValue) -> JSONValue {
        guard case .object(var object) = schema else { return schema }
        let types: [JSONValue]
        switch object["type"] {
        case .string(let type)?: types = [.string(type)]
        case .array(let list)?: types = list
        default: return ["anyOf": [schema, ["type": "null"]]]
        }
        if types.contains(.string("null")) { return schema }
        object["type"] = .array(types + ["null"])
        if case .array(let values)? = object["enum"] { object["enum"] = .array(values + [.null]) }
        return .object(object)
    }
}
