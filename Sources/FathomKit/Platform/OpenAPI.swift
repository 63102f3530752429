import Foundation

/// JSON Schema fragments for route declarations.
public enum Schemas {
    public static let string: JSONValue = ["type": "string"]
    public static let integer: JSONValue = ["type": "integer"]
    public static let boolean: JSONValue = ["type": "boolean"]
    public static let number: JSONValue = ["type": "number"]

    public static func enumeration(_ values: [String]) -> JSONValue {
        ["type": "string", "enum": .array(values.map { .string($0) })]
    }

    /// A response object: every listed property is always present (nullable ones say so); more may follow.
    public static func record(_ properties: [String: JSONValue]) -> JSONValue {
        [
            "type": "object", "properties": .object(properties),
            "required": .array(properties.keys.sorted().map { .string($0) }),
        ]
    }

    public static func nullable(_ type: String) -> JSONValue { ["type": [.string(type), "null"]] }

    /// An integer parameter whose invalid values fall back to the default and whose large ones are clamped (paging,
    /// windows): any text is valid, a positive integer is what counts.
    public static let fallbackInteger: JSONValue = [
        "anyOf": [["type": "integer", "minimum": 1], ["type": "string"]],
        "description": "A positive integer; any other value falls back to the default, larger ones are clamped to the maximum",
    ]

    /// One of `values`, read case-insensitively with blanks trimmed; empty means left out.
    public static func lenientEnumeration(_ values: [String]) -> JSONValue {
        let letters = values.map { value in
            value.map { character in
                let lower = character.lowercased(), upper = character.uppercased()
                return lower == upper ? NSRegularExpression.escapedPattern(for: String(character)) : "[\(lower)\(upper)]"
            }.joined()
        }
        return ["anyOf": [enumeration(values), ["type": "string", "pattern": .string("^[ \t]*(" + letters.joined(separator: "|") + ")?[ \t]*$")]]]
    }

    public static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }

    /// The `/api/v1` success envelope around `data`.
    public static func envelope(_ data: JSONValue) -> JSONValue {
        record([
            "success": boolean, "message": string, "data": data,
            "meta": record(["requestId": string, "timestamp": string]),
        ])
    }

    public static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": "object", "properties": .object(properties), "additionalProperties": false,
        ]
        if !required.isEmpty { schema["required"] = .array(required.sorted().map { .string($0) }) }
        return .object(schema)
    }
}

/// Builds the OpenAPI 3.1 document from the route table, so the document and the router cannot drift apart.
public enum OpenAPIDocument {
    public static func build(routes: [RouteSpec], version: String) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for route in routes {
            paths[route.path, default: [:]][route.method.rawValue.lowercased()] = operation(route)
        }
        let errorSchema: JSONValue = [
            "type": "object",
            "properties": [
                "error": Schemas.object(
                    [
                        "code": Schemas.enumeration(ErrorCode.registry.map(\.name)), "category": Schemas.string,
                        "message": Schemas.string, "retryable": Schemas.boolean,
                        "details": ["type": "array", "items": ["type": "object"]],
                        "redacted_context": ["type": "object"], "request_id": Schemas.string,
                    ], required: ["code", "category", "message", "retryable", "request_id"]),
                "meta": Schemas.object(["requestId": Schemas.string, "timestamp": Schemas.string]),
                // On /api/v1 only: the capacity/databases reference's keys.
                "success": ["const": false], "message": Schemas.string,
            ],
            "required": ["error", "meta"],
        ]
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Fathom API", "version": .string(version),
                "description": "Control plane for database fleets and the infrastructure under them.",
            ],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "securitySchemes": [
                    "session": ["type": "apiKey", "in": "cookie", "name": "session"],
                    "bearer": ["type": "http", "scheme": "bearer"],
                ],
                "schemas": ["Error": errorSchema],
            ],
        ]
    }

    static func operation(_ route: RouteSpec) -> JSONValue {
        var op: [String: JSONValue] = [
            "summary": .string(route.summary),
            "tags": [.string(route.tag)],
            "operationId": .string(operationId(route)),
        ]
        let parameters = OpenAPIParameters.all(route)
        if !parameters.isEmpty { op["parameters"] = .array(parameters) }
        if let body = route.requestBody {
            op["requestBody"] = [
                "required": .bool(route.bodyRequired),
                "content": ["application/json": ["schema": OpenAPIParameters.requestBody(body)]],
            ]
        }
        op["responses"] = .object(OpenAPIResponses.all(route))
        op["security"] = route.access == .public ? [] : [["session": []], ["bearer": []]]
        switch route.access {
        case .permission(let permission): op["x-fathom-permission"] = .string(permission.rawValue)
        case .project(let permission): op["x-fathom-project-permission"] = .string(permission.rawValue)
        case .scoped(let permission):
            op["x-fathom-permission"] = .string(permission.rawValue)
            op["x-fathom-tenant-scope"] = true
            op["description"] = .string(OpenAPIDocument.tenantScopeNote)
        default: break
        }
        return .object(op)
    }

    /// How tenant scope applies to the fleet routes of `/api/v1`, stated in each one's description.
    static let tenantScopeNote = """
        Tenant scope: the global roles viewer/operator/admin see and act on the whole fleet. A user whose role is \
        `member` (access only through project membership) and a token bound to a project see and act only on the \
        instances of projects where they hold the permission; other instances are absent from lists and 404 when named.
        """

    static func operationId(_ route: RouteSpec) -> String {
        let words = route.path.split(separator: "/").filter { $0 != "api" && $0 != "v1" }.map { segment -> String in
            let clean = segment.replacingOccurrences(of: "{", with: "by-").replacingOccurrences(of: "}", with: "")
            return clean.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        }
        return route.method.rawValue.lowercased() + words.joined()
    }
}
