import Foundation

/// A `collector-request-v1` document as a built-in collector reads it.
struct CollectorRequest: Sendable {
    var sourceId: String
    var sourceType: String
    var config: JSONValue
    var credential: [String: String]
    var mode: String
    var now: String?

    static let modes: Set<String> = ["healthcheck", "detect", "collect", "collect_hosts", "collect_vms"]

    /// Nil when the document is not a request this version understands.
    init?(_ data: Data) {
        guard let document = try? CollectorJSON.parse(data), document["schema_version"] == "collector-request-v1",
            let source = document["source"], let request = document["request"],
            let mode = request["mode"]?.stringValue, Self.modes.contains(mode)
        else { return nil }
        sourceId = source["source_id"]?.stringValue ?? ""
        sourceType = source["source_type"]?.stringValue ?? ""
        config = source["config"] ?? [:]
        var credential: [String: String] = [:]
        if case .object(let object)? = source["credential"] {
            for (key, value) in object { if let text = value.stringValue { credential[key] = text } }
        }
        self.credential = credential
        self.mode = mode
        now = request["now"]?.stringValue
    }
}

/// What a built-in collector found, before it becomes a `collector-response-v1` document.
struct CollectorOutcome: Sendable {
    var detect: JSONValue?
    var assets: [JSONValue] = []
    var relations: [JSONValue] = []
    var warnings: [String] = []
    var complete = true

    static func relation(_ type: String, from: (String, String), to: (String, String)) -> JSONValue {
        [
            "type": .string(type),
            "from": ["external_kind": .string(from.0), "external_id": .string(from.1)],
            "to": ["external_kind": .string(to.0), "external_id": .string(to.1)],
        ]
    }

    func document() -> JSONValue {
        var object: [String: JSONValue] = [
            "schema_version": "collector-response-v1", "assets": .array(assets), "relations": .array(relations),
            "stats": [
                "assets": .int(Int64(assets.count)), "relations": .int(Int64(relations.count)),
                "inventory_complete": .bool(complete), "warnings": .array(warnings.map(JSONValue.string)),
            ],
            "errors": [],
        ]
        if let detect { object["detect"] = detect }
        return .object(object)
    }

    static func failed(_ failure: CollectorFailure, prefix: String) -> JSONValue {
        [
            "schema_version": "collector-response-v1", "assets": [], "relations": [],
            "stats": ["assets": 0, "relations": 0, "inventory_complete": false, "warnings": []],
            "errors": [failure.document(prefix: prefix)],
        ]
    }
}
