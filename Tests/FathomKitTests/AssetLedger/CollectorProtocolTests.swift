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

    /// Reading only some paths gives exactly those parts of the whole reading; what is skipped is still checked.
    @Test func readsOnlyTheKeptPaths() throws {
        let text = #"{"identity":{"hostname":"h\"1","machine_uuid":"u-1","tags":[1,{"x":"}"}]},"network":{"ip_addresses":["10.0.0.1","10.0.0.2"],"mac":null},"os":{"name":"Debian","facts":{"a":[[],{}],"b":-1.5e3,"c":true}},"skipped":"a\\b\u00e9","n":12}"#
        let whole = try CollectorJSON.parse(Data(text.utf8))
        func kept(_ paths: [[String]]) throws -> JSONValue {
            var text = text
            return try text.withUTF8 { try CollectorJSON.parse($0, keeping: JSONPaths(paths)) }
        }
        #expect(try kept([["identity", "hostname"], ["network", "ip_addresses"], ["os", "name"]]) == [
            "identity": ["hostname": "h\"1"], "network": ["ip_addresses": ["10.0.0.1", "10.0.0.2"]], "os": ["name": "Debian"],
        ])
        // A path that ends keeps its whole value, also when a longer one passes through it.
        #expect(try kept([["os"], ["os", "name"]]) == ["os": whole["os"]!])
        #expect(try kept([["os", "name"], ["os"]]) == ["os": whole["os"]!])
        // Paths that are not there, or lead into a value that is not an object, keep what exists.
        #expect(try kept([["missing", "x"], ["n", "deeper"], ["skipped"]]) == ["n": 12, "skipped": whole["skipped"]!])
        #expect(try kept([]) == whole)
        for bad in [#"{"a":[1,}"#, #"{"a":"x}"#, #"{"a":{"b":1}"#, #"{"a":tru}"#, #"{"a":1}x"#, #"{"a":-}"#] {
            var text = bad
            #expect(throws: CollectorJSON.Invalid.self, "\(bad)") {
                try text.withUTF8 { try CollectorJSON.parse($0, keeping: JSONPaths([["z"]])) }
            }
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
    /// A large response reads as an in-order check gives it: assets in the response's order, the first of a repeated
    /// key kept, and the first broken record the one reported.
    @Test func aLargeResponseReadsAsInOrder() throws {
        func asset(_ index: Int, name: String? = nil, bad: Bool = false) -> JSONValue {
            let id = "vm-\(index % 4_990)"
            var normalized: JSONValue = ["version": "normalized-v1", "kind": "vm", "identity": ["hostname": .string(name ?? id)]]
            if bad { normalized = ["version": "normalized-v1", "kind": "vm", "surprise": true] }
            return ["external_kind": "vm", "external_id": .string(id), "normalized": normalized, "raw_payload": ["n": .int(Int64(index))]]
        }
        let good = (0..<5_000).map { asset($0) }
        let inventory = try Inventory.read(["assets": .array(good)]).get()
        #expect(inventory.assets.map(\.externalId) == (0..<4_990).map { "vm-\($0)" })
        #expect(inventory.duplicateAssets == 10)
        #expect(inventory.assets[7].rawText == #"{"n":7}"#)
        var broken = good
        broken[4_500] = asset(4_500, bad: true)
        broken[3_100] = asset(3_100, bad: true)
        guard case .failure(let problem) = Inventory.read(["assets": .array(broken)]) else {
            Issue.record("a broken record was accepted")
            return
        }
        #expect(problem.path.hasPrefix("assets[3100].normalized"))
    }

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
