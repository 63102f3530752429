@testable import FathomKit
import Foundation

/// Builds requests for the built-in collectors and reads their responses.
enum BuiltIn {
    static func request(
        type: String = "vcenter", mode: String = "collect", config: JSONValue, credential: [String: String] = ["username": "user", "password": "pass"]
    ) -> Data {
        let document: JSONValue = [
            "schema_version": "collector-request-v1",
            "source": [
                "source_id": "src_test", "source_type": .string(type), "config": config,
                "credential": .object(credential.mapValues(JSONValue.string)),
            ],
            "request": ["run_id": "run_test", "mode": .string(mode), "now": "2026-12-01T12:00:00Z"],
        ]
        return Data(CollectorJSON.text(document).utf8)
    }

    static func respond(type: String = "vcenter", mode: String = "collect", config: JSONValue,
                        credential: [String: String] = ["username": "user", "password": "pass"]) async throws -> JSONValue {
        let data = await BuiltInCollectors.respond(type: type, request: request(type: type, mode: mode, config: config, credential: credential))
        return try CollectorJSON.parse(data)
    }

    /// The response as the ledger reads it (schema, completeness, relations): the inventory of a collect.
    static func inventory(_ response: JSONValue, type: String = "vcenter", mode: String = "collect") throws -> Inventory {
        let output = CollectorProcess.Output(status: 0, stdout: Data(CollectorJSON.text(response).utf8), stderrTail: "")
        switch CollectorResult.interpret(output, mode: mode, sourceType: type, redactor: Redactor(credential: nil)) {
        case .collected(let inventory, _, _): return inventory
        case .finished(let end): throw HarnessFailure("not a collect: \(end)")
        }
    }

    static func assets(_ response: JSONValue, kind: String) -> [JSONValue] {
        (response["assets"]?.arrayItems ?? []).filter { $0["external_kind"]?.stringValue == kind }
    }

    static func relations(_ response: JSONValue, type: String) -> [(from: String, to: String)] {
        (response["relations"]?.arrayItems ?? []).filter { $0["type"]?.stringValue == type }.map {
            ($0["from"]?["external_id"]?.stringValue ?? "", $0["to"]?["external_id"]?.stringValue ?? "")
        }
    }
}
