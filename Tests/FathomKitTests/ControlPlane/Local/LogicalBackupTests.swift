@testable import FathomKit
import Foundation
import Testing

/// Logical backups (roles and every database, pg_dump's custom format) on real servers: they restore into a new
/// instance only, with the databases, rows and roles of the source.
@Suite(.enabled(if: TestPostgres.isAvailable, "PostgreSQL server binaries not found"), .timeLimit(.minutes(10)))
struct LogicalBackupTests {
    typealias L = LocalProviderTests

    @Test func aLogicalBackupRestoresIntoANewInstance() async throws {
        try await L.withLocal(ports: 21320...21339) { fixture, project in
            let (create, body) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances", json: #"{"name":"dumped","engine":"postgresql"}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, create) == "SUCCEEDED")
            let instance = try await L.instance(fixture, id)
            _ = try await L.query(try L.superuser(fixture, instance), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7); SELECT 'ok'")
            _ = try await L.query(try L.superuser(fixture, instance, database: "app"), "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('hello'); SELECT 'ok'")

            let (backupOp, backupBody) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/backups", json: #"{"kind":"logical"}"#)
            let backupId = try #require(backupBody["backup"]?["id"]?.stringValue)
            #expect(backupBody["backup"]?["kind"] == "logical")
            #expect(try await L.finish(fixture, backupOp) == "SUCCEEDED")
            #expect((try await fixture.services.controlPlane.backup(backupId, projectId: project).sizeBytes ?? 0) > 1000)

            let restore = "/v1/projects/\(project)/instances/\(id)/restore"
            let refusals = try await fixture.harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                return [
                    // In place: a logical backup only goes into a new instance.
                    try await client.send(.post, restore, auth: admin, json: #"{"backup_id":"\#(backupId)"}"#),
                    // Another version must be one this host offers.
                    try await client.send(.post, restore, auth: admin, json: #"{"backup_id":"\#(backupId)","target_instance_name":"v99","version":"99"}"#),
                    try await client.send(.post, restore, auth: admin, json: #"{"backup_id":"\#(backupId)","version":"15"}"#),
                ]
            }
            #expect(refusals.map(\.status.code) == [422, 422, 400], "\(refusals.map(\.text))")

            let (moved, made) = try await L.start(fixture, .post, restore, json: #"{"backup_id":"\#(backupId)","target_instance_name":"moved"}"#)
            #expect(try await L.finish(fixture, moved) == "SUCCEEDED")
            let newId = try #require(made["instance"]?["id"]?.stringValue)
            let copy = try await L.instance(fixture, newId)
            #expect(try await L.query(try L.superuser(fixture, copy), "SELECT n::text FROM kept") == ["7"])
            #expect(try await L.query(try L.superuser(fixture, copy, database: "app"), "SELECT body FROM notes") == ["hello"])
            #expect(try await L.query(try L.superuser(fixture, copy), "SELECT count(*)::text FROM pg_roles WHERE rolname = 'app_owner'") == ["1"])
            #expect(try await L.query(try L.superuser(fixture, instance, database: "app"), "SELECT body FROM notes") == ["hello"])

            // WAL archiving turned on, then off, through PATCH (the server restarts with the settings).
            let path = "/v1/projects/\(project)/instances/\(id)"
            let (enable, enabled) = try await L.start(fixture, .patch, path, json: #"{"backup_policy":{"enabled":false,"pitr_enabled":true}}"#)
            #expect(enabled["instance"]?["backup_policy"]?["pitr_enabled"] == false)  // until the operation has applied it
            #expect(try await L.finish(fixture, enable) == "SUCCEEDED")
            #expect(try await L.instance(fixture, id).backupPolicy?.pitr_enabled == true)
            #expect(try await L.query(try L.superuser(fixture, instance), "SHOW archive_mode") == ["on"])
            let (disable, _) = try await L.start(fixture, .patch, path, json: #"{"backup_policy":{"pitr_enabled":false}}"#)
            #expect(try await L.finish(fixture, disable) == "SUCCEEDED")
            #expect(try await L.instance(fixture, id).backupPolicy?.pitr_enabled == false)
            #expect(try await L.query(try L.superuser(fixture, instance), "SHOW archive_mode") == ["off"])
        }
    }
}
