@testable import FathomKit
import Foundation
import Logging
import Testing

/// WAL archiving and point-in-time restore on real PostgreSQL servers (the local provider).
@Suite(.enabled(if: TestPostgres.isAvailable, "PostgreSQL server binaries not found"), .timeLimit(.minutes(10)))
struct PointInTimeRestoreTests {
    typealias L = LocalProviderTests

    static func rows(_ target: PostgresSession.Target) async throws -> [String] {
        try await L.query(target, "SELECT coalesce(string_agg(n::text, ',' ORDER BY n), '') FROM t")
    }

    /// Rows written at t1, t2 and t3; a restore to a moment between t2 and t3 holds exactly t1's and t2's rows.
    /// Then a damaged archived WAL file makes the next restore fail clearly, with the instance back on its data.
    @Test func restoreToAMomentKeepsExactlyTheRowsWrittenBeforeIt() async throws {
        try await L.withLocal(ports: 21260...21279) { fixture, project in
            let (create, body) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances",
                json: #"{"name":"pitr","engine":"postgresql","backup_policy":{"enabled":false,"pitr_enabled":true}}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, create) == "SUCCEEDED")
            let target = try L.superuser(fixture, try await L.instance(fixture, id))
            #expect(try await L.query(target, "SHOW archive_mode") == ["on"])
            _ = try await L.query(target, "CREATE TABLE t (n int); INSERT INTO t VALUES (1); SELECT 'ok'")
            let (backupOp, backupBody) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/backups", json: "{}")
            let backupId = try #require(backupBody["backup"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, backupOp) == "SUCCEEDED")
            let backup = try await fixture.services.controlPlane.backup(backupId, projectId: project)
            #expect(backup.recoverableFrom != nil && backup.walStart != nil)

            _ = try await L.query(target, "INSERT INTO t VALUES (2); SELECT 'ok'")
            try await Task.sleep(for: .milliseconds(1200))
            let moment = Date()
            try await Task.sleep(for: .milliseconds(1200))
            _ = try await L.query(target, "INSERT INTO t VALUES (3); SELECT 'ok'")
            // The control plane's clock (a test clock) catches up with the servers' real one.
            fixture.harness.clock.advance(by: Date().timeIntervalSince(fixture.harness.clock.wallClock.now()))

            let path = "/v1/projects/\(project)/instances/\(id)"
            let view = try await fixture.harness.test { client in
                try await client.send(.get, path, auth: .session(try await client.adminSession()))
            }
            let window = try #require(view.json["instance"]?["recoverable_window"], "\(view.text)")
            let earliest = try #require(window["earliest"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) })
            #expect(earliest <= moment)
            #expect(view.json["instance"]?["backup_policy"]?["pitr_enabled"] == true)
            #expect((view.json["instance"]?["archiving"]?["archived_count"]?.intValue ?? 0) > 0, "\(view.text)")
            #expect(view.json["instance"]?["archiving"]?["failed_count"] == 0)

            // Outside the window (before the first backup, or in the future) is 422 naming the window.
            for outside in [Timestamp.iso8601(earliest.addingTimeInterval(-3600)), Timestamp.iso8601(Date().addingTimeInterval(3600))] {
                let refused = try await fixture.harness.test { client in
                    try await client.send(.post, "\(path)/restore", auth: .session(try await client.adminSession()), json: #"{"point_in_time":"\#(outside)"}"#)
                }
                #expect(refused.status == .unprocessableContent, "\(refused.text)")
                #expect(refused.json["error"]?["message"]?.stringValue?.contains("recoverable window") == true)
            }

            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let (restore, _) = try await L.start(fixture, .post, "\(path)/restore", json: #"{"point_in_time":"\#(formatter.string(from: moment))"}"#)
            #expect(try await L.finish(fixture, restore) == "SUCCEEDED")
            #expect(try await Self.rows(target) == ["1,2"])
            #expect(try await L.query(target, "SELECT pg_is_in_recovery()::text") == ["false"])

            // The restored server keeps archiving on its new timeline.
            _ = try await L.query(target, "INSERT INTO t VALUES (4); SELECT 'ok'")
            let switched = try await L.query(target, "SELECT pg_walfile_name(pg_switch_wal())")
            let archive = "\(fixture.services.configuration.dataDir)/instances/\(id)/wal-archive"
            let file = try #require(switched.first)
            #expect(try await waitUntil(timeout: .seconds(20)) { FileManager.default.fileExists(atPath: "\(archive)/\(file).gz") })
            #expect(!file.hasPrefix("00000001"))
            #expect(try await L.query(target, "SELECT failed_count::text FROM pg_stat_archiver") == ["0"])

            // A damaged archived WAL file: the replay cannot reach the moment, the restore fails saying why, and the
            // instance runs on the data it had.
            // Every WAL file after the backup, on either timeline (the new timeline's first file holds the old one's
            // WAL up to the branch point, so recovery would read that instead).
            let segments = try FileManager.default.contentsOfDirectory(atPath: archive)
                .filter { $0.hasSuffix(".gz") && !$0.contains(".history") && !$0.contains(".partial") }
            let walStart = try #require(backup.walStart)
            for segment in segments where segment.dropFirst(8).prefix(16) > walStart.dropFirst(8).prefix(16) {
                try Data("not a WAL file".utf8).write(to: URL(fileURLWithPath: "\(archive)/\(segment)"))
            }
            fixture.harness.clock.advance(by: Date().timeIntervalSince(fixture.harness.clock.wallClock.now()))
            let (broken, _) = try await L.start(fixture, .post, "\(path)/restore", json: #"{"point_in_time":"\#(formatter.string(from: moment))"}"#)
            #expect(try await L.finish(fixture, broken) == "FAILED")
            let failed = try #require(try await fixture.services.store.read { db in try await OperationStore.find(projectId: nil, id: broken, on: db) })
            let message = failed.job.errorMessage ?? ""
            #expect(message.contains("Point-in-time recovery failed"), "\(message)")
            #expect(message.contains("recovery ended before configured recovery target was reached") || message.contains("damaged"), "\(message)")
            #expect(try await L.instance(fixture, id).state == .RUNNING)
            #expect(try await Self.rows(target) == ["1,2,4"])

            // An archive that cannot be written shows in the instance, with the WAL file it could not archive.
            try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: archive)
            let stuck = try #require(try await L.query(target, "INSERT INTO t VALUES (5); SELECT pg_walfile_name(pg_switch_wal())").first)
            #expect(try await waitUntil(timeout: .seconds(20)) {
                let shown = try await fixture.harness.test { client in
                    try await client.send(.get, path, auth: .session(try await client.adminSession()))
                }
                return (shown.json["instance"]?["archiving"]?["failed_count"]?.intValue ?? 0) > 0
                    && shown.json["instance"]?["archiving"]?["last_failed_wal"]?.stringValue == stuck
            })
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: archive)
        }
    }
}

extension PointInTimeRestoreTests {
    /// The archive outlives a failover: the new primary archives into it on its new timeline, and a restore from a
    /// backup taken before the failover replays across it to a moment after.
    @Test func restoreAcrossAFailover() async throws {
        try await L.withLocal(ports: 21280...21299) { fixture, project in
            let (create, body) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances",
                json: #"{"name":"pitr-ha","engine":"postgresql","high_availability":true,"backup_policy":{"enabled":false,"pitr_enabled":true}}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, create) == "SUCCEEDED")
            let before = try L.superuser(fixture, try await L.instance(fixture, id))
            _ = try await L.query(before, "CREATE TABLE t (n int); INSERT INTO t VALUES (1); SELECT 'ok'")
            let (backupOp, _) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/backups", json: "{}")
            #expect(try await L.finish(fixture, backupOp) == "SUCCEEDED")
            _ = try await L.query(before, "INSERT INTO t VALUES (2); SELECT 'ok'")

            let (failover, _) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/failover")
            #expect(try await L.finish(fixture, failover) == "SUCCEEDED")
            let after = try L.superuser(fixture, try await L.instance(fixture, id))
            #expect(after.port != before.port)
            _ = try await L.query(after, "INSERT INTO t VALUES (3); SELECT 'ok'")
            try await Task.sleep(for: .milliseconds(1200))
            let moment = Date()
            try await Task.sleep(for: .milliseconds(1200))
            _ = try await L.query(after, "INSERT INTO t VALUES (4); SELECT 'ok'")
            fixture.harness.clock.advance(by: Date().timeIntervalSince(fixture.harness.clock.wallClock.now()))

            let archive = "\(fixture.services.configuration.dataDir)/instances/\(id)/wal-archive"
            #expect(FileManager.default.fileExists(atPath: "\(archive)/00000002.history.gz"))
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let (restore, _) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/restore",
                json: #"{"point_in_time":"\#(formatter.string(from: moment))"}"#)
            #expect(try await L.finish(fixture, restore) == "SUCCEEDED")
            let restored = try L.superuser(fixture, try await L.instance(fixture, id))
            #expect(try await Self.rows(restored) == ["1,2,3"])
        }
    }
}

extension PointInTimeRestoreTests {
    /// A restore into a new instance (a moment, or a backup as it is) leaves the source running and unchanged.
    @Test func restoreIntoANewInstanceLeavesTheSourceAlone() async throws {
        try await L.withLocal(ports: 21300...21319) { fixture, project in
            let (create, body) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances",
                json: #"{"name":"source","engine":"postgresql","backup_policy":{"enabled":false,"pitr_enabled":true}}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, create) == "SUCCEEDED")
            let source = try L.superuser(fixture, try await L.instance(fixture, id))
            _ = try await L.query(source, "CREATE TABLE t (n int); INSERT INTO t VALUES (1); SELECT 'ok'")
            // WAL from before the backup, archived.
            let archive = "\(fixture.services.configuration.dataDir)/instances/\(id)/wal-archive"
            let early = try #require(try await L.query(source, "SELECT pg_walfile_name(pg_switch_wal())").first)
            #expect(try await waitUntil(timeout: .seconds(20)) { FileManager.default.fileExists(atPath: "\(archive)/\(early).gz") })
            let (backupOp, backupBody) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/backups", json: "{}")
            let backupId = try #require(backupBody["backup"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, backupOp) == "SUCCEEDED")
            // Retention prunes the archive to what the oldest kept backup needs: the WAL before it goes.
            let walStart = try #require(try await fixture.services.controlPlane.backup(backupId, projectId: project).walStart)
            let older = { try FileManager.default.contentsOfDirectory(atPath: archive).filter { $0.hasSuffix(".gz") && !$0.contains("history") && $0.prefix(24) < walStart } }
            #expect(try older().isEmpty == false, "\(walStart) \((try? FileManager.default.contentsOfDirectory(atPath: archive)) ?? [])")
            _ = try await fixture.services.controlPlane.applyRetention(logger: Logger(label: "test"))
            #expect(try older().isEmpty)
            #expect(FileManager.default.fileExists(atPath: "\(archive)/\(walStart).gz"))
            _ = try await L.query(source, "INSERT INTO t VALUES (2); SELECT 'ok'")
            try await Task.sleep(for: .milliseconds(1200))
            let moment = Date()
            try await Task.sleep(for: .milliseconds(1200))
            _ = try await L.query(source, "INSERT INTO t VALUES (3); SELECT 'ok'")
            // A restore into a new instance reaches what the source's archive holds: make it hold the present.
            let switched = try #require(try await L.query(source, "SELECT pg_walfile_name(pg_switch_wal())").first)
            #expect(try await waitUntil(timeout: .seconds(20)) { FileManager.default.fileExists(atPath: "\(archive)/\(switched).gz") })
            fixture.harness.clock.advance(by: Date().timeIntervalSince(fixture.harness.clock.wallClock.now()))

            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let restore = "/v1/projects/\(project)/instances/\(id)/restore"
            let (toMoment, made) = try await L.start(fixture, .post, restore,
                json: #"{"point_in_time":"\#(formatter.string(from: moment))","target_instance_name":"inspect"}"#)
            let inspectId = try #require(made["instance"]?["id"]?.stringValue)
            #expect(inspectId != id && made["instance"]?["name"] == "inspect")
            #expect(try await L.finish(fixture, toMoment) == "SUCCEEDED")
            let inspect = try L.superuser(fixture, try await L.instance(fixture, inspectId))
            #expect(inspect.port != source.port)
            #expect(try await Self.rows(inspect) == ["1,2"])

            let (asTaken, copy) = try await L.start(fixture, .post, restore, json: #"{"backup_id":"\#(backupId)","target_instance_name":"copy"}"#)
            #expect(try await L.finish(fixture, asTaken) == "SUCCEEDED")
            let copyId = try #require(copy["instance"]?["id"]?.stringValue)
            #expect(try await Self.rows(try L.superuser(fixture, try await L.instance(fixture, copyId))) == ["1"])

            // The source never stopped and has all its rows.
            #expect(try await L.instance(fixture, id).state == .RUNNING)
            #expect(try await Self.rows(source) == ["1,2,3"])
            let duplicate = try await fixture.harness.test { client in
                try await client.send(.post, restore, auth: .session(try await client.adminSession()),
                    json: #"{"backup_id":"\#(backupId)","target_instance_name":"copy"}"#)
            }
            #expect(duplicate.status == .conflict, "\(duplicate.text)")
        }
    }
}
