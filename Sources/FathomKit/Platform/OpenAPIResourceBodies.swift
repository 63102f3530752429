/// Success bodies of the DBaaS surface (`/v1`) for routes that declare none, derived from the path by the
/// convention `DBaaSResponse` follows: a list is `{"<collection>": […], "next_page_token", "total_count"}`, one
/// resource is `{"<singular>": {…}}`, and a 202 also carries the `operation` that does the work.
enum OpenAPIResourceBodies {
    static let singular: [String: String] = [
        "projects": "project", "instances": "instance", "backups": "backup", "databases": "database",
        "users": "user", "operations": "operation", "members": "member",
    ]

    static func body(_ route: RouteSpec) -> JSONValue {
        let literals = route.path.split(separator: "/").map(String.init)
        let endsInCollection = literals.last.map { singular[$0] != nil } ?? false
        if route.method == .get, endsInCollection, let collection = literals.last {
            let properties: [String: JSONValue] = [
                collection: Schemas.array(collection == "operations" ? operation : ["type": "object"]),
                "next_page_token": Schemas.string, "total_count": Schemas.integer,
            ]
            return ["type": "object", "required": [.string(collection)], "properties": .object(properties)]
        }
        guard let collection = literals.last(where: { singular[$0] != nil }), let key = singular[collection] else {
            return ["type": "object"]
        }
        var properties: [String: JSONValue] = [key: key == "operation" ? operation : ["type": "object"]]
        var required: [JSONValue] = [.string(key)]
        if route.successStatus == 202 {
            properties["operation"] = operation
            required.append("operation")
        }
        return ["type": "object", "required": .array(required.sorted { ($0.stringValue ?? "") < ($1.stringValue ?? "") }), "properties": .object(properties)]
    }

    /// An operation as every 202 and the operations routes show it (DESIGN.md "DBaaS semantics").
    static let operation: JSONValue = [
        "type": "object",
        "required": ["id", "type", "state", "progress_percent", "target", "created_at", "updated_at"],
        "properties": [
            "id": Schemas.string, "type": Schemas.enumeration(OperationType.allCases.map(\.rawValue)),
            "state": Schemas.enumeration(OperationState.allCases.map(\.rawValue)),
            "progress_percent": ["type": "integer", "minimum": 0, "maximum": 100],
            "progress_message": Schemas.nullable("string"),
            "target": Schemas.record(["type": Schemas.string, "id": Schemas.string]),
            "instance_id": Schemas.nullable("string"), "trigger": Schemas.nullable("string"),
            "error": ["type": ["object", "null"]], "created_at": Schemas.string, "started_at": Schemas.nullable("string"),
            "updated_at": Schemas.string, "finished_at": Schemas.nullable("string"),
        ],
    ]
}
