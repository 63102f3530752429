@testable import FathomKit
import Foundation
import Testing

/// The collector wire format: reading stdout, recovering a document after log lines, the published schemas.
@Suite(.timeLimit(.minutes(10))) struct CollectorProtocolTests {
    @Test func readsJSONIntoValues() throws {
        let text = #"{"a":[1,-2,3.5,1e3,true,false,null],"s":"q\"\\\/\n\u00e9\ud83d\ude00 ü","e":{},"l":[]}"#
        let value = try CollectorJSON.parse(Data(text.utf8))
        #expect(value["a"] == [1, -2, .double(3.5), .double(1000), true, false, .null])
        #expect(value["s"] == .string("q\"\\/\né😀 ü"))
        #expect(value["e"] == [:])
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":01x}", "[\"\u{01}\"]"] {
            #expect(throws: CollectorJSON.Invalid.self, "\(bad)") { try CollectorJSON.parse(Data(bad.utf8)) }
        }
    }

    @Test func writesSortedCompactJSON() throws {
        let value: JSONValue = ["b": [1, .double(2.5), .null, true], "a": "q\"\\\n\u{01}é"]
        let text = CollectorJSON.text(value)
        #expect(text == #"{"a":"q\"\\\n\u0001é","b":[1,2.5,null,true]}"#)
        #expect(try CollectorJSON.parse(Data(text.utf8)) == value)
    }

    @Test func recoversTheLastDocumentWithASchemaVersion() {
        let noisy = "starting {\n{\"not\": \"it\"}\n{\"schema_version\": \"collector-response-v1\", \"assets\": [{\"x\": {}}]}\ntrailing"
        #expect(CollectorProtocol.parse(Data(noisy.utf8))?["schema_version"] == "collector-response-v1")
        #expect(CollectorProtocol.parse(Data("no json here".utf8)) == nil)
        #expect(CollectorProtocol.parse(Data("{\"a\": 1}\n{\"b\": 2}".utf8)) == nil)
    }

    /// The published schema files are the ones ingest validates with.
    @Test func publishedSchemasMatchTheValidator() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/schemas")
        let response = try String(contentsOf: docs.appendingPathComponent("collector-response-v1.schema.json"), encoding: .utf8)
        let normalized = try String(contentsOf: docs.appendingPathComponent("normalized-v1.schema.json"), encoding: .utf8)
        #expect(response.trimmingCharacters(in: .whitespacesAndNewlines) == CollectorSchemas.responseText.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(normalized.trimmingCharacters(in: .whitespacesAndNewlines) == CollectorSchemas.normalizedText.trimmingCharacters(in: .whitespacesAndNewlines))
        let bad: JSONValue = ["version": "normalized-v1", "kind": "vm", "network": ["ip_addresses": ["10.0.0.1", 7]]]
        #expect(CollectorSchemas.normalized.violation(bad, at: "assets[0].normalized")?.path == "assets[0].normalized.network.ip_addresses[1]")
        let extra: JSONValue = ["version": "normalized-v1", "kind": "vm", "surprise": true]
        #expect(CollectorSchemas.normalized.violation(extra, at: "")?.path == "surprise")
        let good: JSONValue = ["version": "normalized-v1", "kind": "host", "storage": ["datastores": [["name": "ds", "capacity_bytes": 1]]]]
        #expect(CollectorSchemas.normalized.violation(good, at: "") == nil)
    }
}
