@testable import FathomKit
import Foundation
import Testing

/// A restore whose backup unpacks but will not start: the previous data is put back and runs, the restored copy is
/// kept beside it; when the previous data will not start either, the instance is FAILED with both copies kept and
/// the reason (naming both) in the operation's error.
@Suite(.enabled(if: TestPostgres.isAvailable, "PostgreSQL server binaries not found"), .timeLimit(.minutes(10)))
struct RestoreFailureTests {
    typealias L = LocalProviderTests

    /// Rewrites a backup archive so that it unpacks but its server refuses to start (a foreign PG_VERSION).
    static func spoil(_ archive: String) async throws {
        let scratch = archive + ".spoil"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        #expect(try await Subprocess.run("/bin/tar", ["-xzf", archive, "-C", scratch]).status == 0)
        try "99\n".write(toFile: scratch + "/PG_VERSION", atomically: true, encoding: .utf8)
        #expect(try await Subprocess.run("/bin/tar", ["-czf", archive, "-C", scratch, "."]).status == 0)
    }

    @Test func aRestoredCopyThatWillNotStartGivesWayToThePreviousData() async throws {
        try await L.withLocal(ports: 21160...21179) { fixture, project in
            let (create, body) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances", json: #"{"name":"spoiled","engine":"postgresql"}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, create) == "SUCCEEDED")
            var instance = try await L.instance(fixture, id)
            let target = try L.superuser(fixture, instance)
            _ = try await L.query(target, "CREATE TABLE t (n int); INSERT INTO t VALUES (1); SELECT 'ok'")
            let (backupOp, backupBody) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/backups", json: "{}")
            let backupId = try #require(backupBody["backup"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, backupOp) == "SUCCEEDED")
            try await Self.spoil(try #require(try await fixture.services.controlPlane.backup(backupId, projectId: project).location))
            _ = try await L.query(target, "INSERT INTO t VALUES (2); SELECT 'ok'")

            // The restored copy does not start: the previous data runs again, nothing lost, the copy kept.
            let (restore, _) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/restore", json: #"{"backup_id":"\#(backupId)"}"#)
            #expect(try await L.finish(fixture, restore) == "FAILED")
            #expect(try await L.instance(fixture, id).state == .RUNNING)
            #expect(try await L.query(target, "SELECT string_agg(n::text, ',' ORDER BY n) FROM t") == ["1,2"])
            let node = "\(fixture.services.configuration.dataDir)/instances/\(id)/node-\(instance.endpoints[0].port)"
            #expect(FileManager.default.fileExists(atPath: "\(node).failed-restore-\(restore)/PG_VERSION"))

            // Now the previous data cannot start either (its PG_VERSION is spoiled while it runs): FAILED, both kept.
            try "99\n".write(toFile: node + "/PG_VERSION", atomically: true, encoding: .utf8)
            let (second, _) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/restore", json: #"{"backup_id":"\#(backupId)"}"#)
            #expect(try await L.finish(fixture, second) == "FAILED")
            instance = try await L.instance(fixture, id)
            #expect(instance.state == .FAILED)
            let operation = try #require(try await fixture.services.store.read { db in try await OperationStore.find(projectId: nil, id: second, on: db) })
            let message = operation.job.errorMessage ?? ""
            #expect(message.contains("Neither copy") && message.contains(".failed-restore-\(second)") && message.contains(node), "\(message)")
            #expect(FileManager.default.fileExists(atPath: "\(node).failed-restore-\(second)/base"))
            #expect(FileManager.default.fileExists(atPath: "\(node)/base"))
            // The earlier restore's kept copy is untouched by the retry.
            #expect(FileManager.default.fileExists(atPath: "\(node).failed-restore-\(restore)/PG_VERSION"))
        }
    }
}
