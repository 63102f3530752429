/// An example value for a JSON Schema, for the docs page: enums give their first value, well-known property names
/// a realistic value, anything else a value of its type.
enum SchemaExample {
    static let named: [String: JSONValue] = [
        "name": "orders-db", "engine": "postgresql", "version": "15", "region": "local", "username": "alice",
        "password": "correct-horse-battery-staple", "currentPassword": "old-password-1", "newPassword": "new-password-2",
        "host": "10.0.0.12", "port": 5432, "database": "app", "owner": "app_owner", "user": "app_owner",
        "role": "operator", "description": "Orders service databases", "backup_id": "bkp-0123456789ab",
        "time": "03:00", "timezone": "Europe/Berlin", "projectId": "proj-0123456789ab", "instance_id": 1,
        "period_type": "weekly", "scope": "all", "expiresInDays": 30,
    ]

    static func value(_ schema: JSONValue, name: String? = nil, depth: Int = 0) -> JSONValue {
        if let example = schema["example"] { return example }
        if let name, let known = named[name], depth > 0 { return known }
        if case .array(let values)? = schema["enum"], let first = values.first { return first }
        guard depth < 8 else { return .null }
        let type: String? = {
            if case .array(let types)? = schema["type"] { return types.compactMap(\.stringValue).first { $0 != "null" } }
            return schema["type"]?.stringValue
        }()
        switch type {
        case "object":
            guard case .object(let properties)? = schema["properties"] else {
                if let values = schema["additionalProperties"], case .object = values {
                    return ["key": value(values, depth: depth + 1)]
                }
                return [:]
            }
            var object: [String: JSONValue] = [:]
            for (key, property) in properties { object[key] = value(property, name: key, depth: depth + 1) }
            return .object(object)
        case "array": return .array([value(schema["items"] ?? ["type": "string"], name: name, depth: depth + 1)])
        case "integer": return 1
        case "number": return .double(12.5)
        case "boolean": return true
        case "string": return .string(name.map { "example-\($0)" } ?? "example")
        default: return .null
        }
    }

    /// The `/api/v1` success envelope around `data`.
    static func envelope(_ data: JSONValue) -> JSONValue {
        ["success": true, "message": "Success", "data": data, "meta": ["requestId": "req_example", "timestamp": "2026-12-01T12:00:00Z"]]
    }
}
