@testable import FathomKit
import Foundation
import HummingbirdTesting
import Logging
import Testing

/// Sources (§4): CRUD, per-type config validation, soft delete, and credentials that never come back out.
@Suite(.timeLimit(.minutes(10))) struct SourceTests {
    @Test(arguments: Backends.all)
    func crudValidationAndSoftDelete(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let created = try await client.send(
                    .post, "/api/v1/sources", auth: .session(admin),
                    json: #"{"name":"vcenter-prod","sourceType":"vcenter","config":{"endpoint":"https://vcenter.example.com"},"credential":{"username":"u","password":"p-123456"}}"#)
                #expect(created.status == .created)
                let source = try #require(created.json["data"])
                let id = try #require(source["sourceId"]?.stringValue)
                #expect(id.hasPrefix("src_"))
                #expect(source["config"] == ["endpoint": "https://vcenter.example.com"])
                #expect(source["credential"] == nil)
                #expect(source["hasCredential"] == true)
                #expect(source["scheduleGroupId"] == .null)

                // Per-type validation names each field.
                let invalid = try await client.send(
                    .post, "/api/v1/sources", auth: .session(admin),
                    json: #"{"name":"x","sourceType":"vcenter","config":{"endpoint":"ftp:/nope","timeout_ms":5}}"#)
                #expect(invalid.status == .badRequest)
                #expect(invalid.errorCode == "CONFIG_INVALID_REQUEST")
                let fields = Set(invalid.json["error"]?["details"]?.arrayItems.compactMap { $0["field"]?.stringValue } ?? [])
                #expect(fields == ["config.endpoint", "config.timeout_ms"])
                for body in [
                    #"{"name":"x","sourceType":"exec","config":{}}"#,
                    #"{"name":"x","sourceType":"exec","config":{"command":"relative/path"}}"#,
                    #"{"name":"x","sourceType":"exec","config":{"command":"/bin/true","args":[1]}}"#,
                    #"{"name":"x","sourceType":"nosuch","config":{}}"#,
                    #"{"name":"x","sourceType":"exec","config":[]}"#,
                    #"{"name":"x","sourceType":"exec","config":{"command":"/bin/true"},"credential":{"password":1}}"#,
                ] {
                    let bad = try await client.send(.post, "/api/v1/sources", auth: .session(admin), json: body)
                    #expect(bad.status == .badRequest, "\(body) → \(bad.text)")
                }
                let noGroup = try await client.send(
                    .post, "/api/v1/sources", auth: .session(admin),
                    json: #"{"name":"x","sourceType":"exec","config":{"command":"/bin/true"},"scheduleGroupId":"sg_missing"}"#)
                #expect(noGroup.status == .notFound)
                #expect(noGroup.errorCode == "CONFIG_SCHEDULE_GROUP_NOT_FOUND")
                let duplicate = try await client.send(
                    .post, "/api/v1/sources", auth: .session(admin),
                    json: #"{"name":"vcenter-prod","sourceType":"exec","config":{"command":"/bin/true"}}"#)
                #expect(duplicate.errorCode == "CONFIG_DUPLICATE_NAME")

                let updated = try await client.send(
                    .put, "/api/v1/sources/\(id)", auth: .session(admin), json: #"{"enabled":false,"name":"vcenter-renamed"}"#)
                #expect(updated.json["data"]?["enabled"] == false)
                #expect(updated.json["data"]?["name"] == "vcenter-renamed")
                let typeChange = try await client.send(
                    .put, "/api/v1/sources/\(id)", auth: .session(admin), json: #"{"sourceType":"pve"}"#)
                #expect(typeChange.status == .badRequest)

                let execId = try await Ledger.createSource(client, admin, name: "plugin")
                let filtered = try await client.send(.get, "/api/v1/sources?sourceType=exec", auth: .session(admin))
                #expect(filtered.json["pagination"]?["total"] == 1)
                #expect(filtered.json["data"]?.arrayItems.first?["sourceId"]?.stringValue == execId)
                #expect(filtered.json["data"]?.arrayItems.first?["lastRun"] == .null)
                // The renamed source and Fathom's own source, created disabled by the store's migrations.
                let disabled = try await client.send(.get, "/api/v1/sources?enabled=false", auth: .session(admin))
                #expect(disabled.json["pagination"]?["total"] == 2)
                #expect(disabled.json["data"]?.arrayItems.contains { $0["sourceType"] == "fathom" && $0["name"] == "fathom" } == true)

                // Soft delete: gone from reads and lists, 404 afterwards, its runs still listed with the source's name.
                let runId = try await Ledger.trigger(client, admin, execId, mode: "healthcheck")
                let busy = try await client.send(.delete, "/api/v1/sources/\(execId)", auth: .session(admin))
                #expect(busy.status == .conflict)
                #expect(busy.json["error"]?["redacted_context"]?["sourceId"]?.stringValue == execId)
                _ = try await client.send(.post, "/api/v1/runs/\(runId)/cancel", auth: .session(admin))
                #expect(try await client.send(.delete, "/api/v1/sources/\(execId)", auth: .session(admin)).status == .noContent)
                #expect(try await client.send(.get, "/api/v1/sources/\(execId)", auth: .session(admin)).errorCode == "CONFIG_SOURCE_NOT_FOUND")
                #expect(try await client.send(.delete, "/api/v1/sources/\(execId)", auth: .session(admin)).status == .notFound)
                let remaining = try await client.send(.get, "/api/v1/sources", auth: .session(admin))
                #expect(remaining.json["pagination"]?["total"] == 2)
                let history = try await client.send(.get, "/api/v1/runs?sourceId=\(execId)", auth: .session(admin))
                #expect(history.json["data"]?.arrayItems.first?["sourceName"] == "plugin")
                #expect(try await client.send(.get, "/api/v1/runs/\(runId)", auth: .session(admin)).status == .ok)
                // A deleted source can no longer be triggered, and its name is free again.
                let late = try await client.send(
                    .post, "/api/v1/sources/\(execId)/runs", auth: .session(admin), json: #"{"mode":"collect"}"#)
                #expect(late.errorCode == "CONFIG_SOURCE_NOT_FOUND")
                _ = try await Ledger.createSource(client, admin, name: "plugin")
            }
        }
    }

    /// The password is in no response, no log line, no run record and no error — even when the collector prints it.
    @Test(arguments: Backends.all)
    func credentialsNeverLeave(_ backend: Store.Backend) async throws {
        let logs = RecordingLogs()
        let first = "First-Secret-Pa55word"
        let second = "Second-Secret-Pa55word"
        try await Harness.with(backend, logger: logs.logger()) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                var bodies: [String] = []
                let created = try await client.send(
                    .post, "/api/v1/sources", auth: .session(admin),
                    json: #"{"name":"secretive","sourceType":"exec","config":\#(Ledger.execConfig(#""scenario":"plugin_error""#)),"credential":{"username":"svc","password":"\#(first)"}}"#)
                bodies.append(created.text)
                let id = try #require(created.json["data"]?["sourceId"]?.stringValue)
                let stored = try await Ledger.value(harness.services, "SELECT credential_sealed AS v FROM asset_sources WHERE credential_sealed IS NOT NULL")
                #expect(stored?.contains(first) == false)
                let changed = try await client.send(
                    .put, "/api/v1/sources/\(id)/credential", auth: .session(admin),
                    json: #"{"username":"svc","password":"\#(second)"}"#)
                #expect(changed.json["data"]?["message"] == "Credential updated successfully")
                bodies.append(changed.text)
                let detail = try await Ledger.withRunner(harness.services) {
                    let runId = try await Ledger.trigger(client, admin, id)
                    return try await Ledger.finished(client, admin, runId)
                }
                #expect(detail["status"] == "Failed")
                #expect(detail["errors"]?.arrayItems.first?["code"] == "VCENTER_AUTH_FAILED")
                #expect(detail["errors"]?.arrayItems.first?["message"] == "login rejected for password ***")
                #expect(detail["stderrExcerpt"]?.stringValue?.contains("password=***") == true)
                for path in ["/api/v1/sources", "/api/v1/sources/\(id)", "/api/v1/runs", "/api/v1/runs?sourceId=\(id)"] {
                    bodies.append(try await client.send(.get, path, auth: .session(admin)).text)
                }
                let runId = detail["runId"]?.stringValue ?? ""
                bodies.append(try await client.send(.get, "/api/v1/runs/\(runId)", auth: .session(admin)).text)
                let bad = try await client.send(
                    .put, "/api/v1/sources/\(id)/credential", auth: .session(admin), json: #"{"password":["\#(first)"]}"#)
                #expect(bad.status == .badRequest)
                bodies.append(bad.text)
                let runs = try await harness.services.store.read { db in
                    try await db.raw("SELECT errors, warnings, stderr_excerpt, stats FROM asset_runs").all().map {
                        "\(try $0.decode(column: "errors", as: String.self)) \(try $0.decode(column: "stderr_excerpt", as: String?.self) ?? "")"
                    }
                }
                for text in bodies + runs + [logs.all] {
                    #expect(!text.contains(first) && !text.contains(second), "secret leaked: \(text.prefix(300))")
                }
                #expect(!logs.all.isEmpty)
            }
        }
    }
}
