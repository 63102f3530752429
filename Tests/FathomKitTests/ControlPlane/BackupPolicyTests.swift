@testable import FathomKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

/// Backup policies on instances (the scripted provider): validation, the view, scheduled backups (one per day,
/// deferred while the instance is busy, one catch-up after downtime) and retention.
@Suite(.timeLimit(.minutes(5))) struct BackupPolicyTests {
    static let logger = Logger(label: "test")

    /// Moves the harness clock to `text` (RFC 3339).
    static func setClock(_ harness: Harness, _ text: String) {
        harness.clock.advance(by: -harness.clock.wallClock.now().timeIntervalSince(ScheduleSlotTests.date(text)))
    }

    /// Creates a scripted instance with `policy` and runs its create to RUNNING; returns its id.
    static func runningInstance(_ fixture: DBaaSFixture, _ client: any TestClientProtocol, _ admin: Auth, project: String,
                                name: String, policy: String) async throws -> String {
        let created = try await client.createInstance(admin, project: project, name: name, extra: #","backup_policy":\#(policy)"#)
        #expect(created.status == .accepted, "\(created.text)")
        let id = try #require(created.json["instance"]?["id"]?.stringValue)
        #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await fixture.instanceState(id) == "RUNNING" })
        return id
    }

    static func backups(_ fixture: DBaaSFixture, _ instanceId: String) async throws -> [Backup] {
        try await fixture.services.store.read { db in
            try await db.raw("SELECT \(unsafeRaw: BackupStore.columns) FROM backups WHERE instance_id = \(bind: instanceId) ORDER BY created_at, id")
                .all().map(BackupStore.decode)
        }
    }

    @Test(arguments: Backends.all)
    func badPoliciesAre400AndAGoodOneIsShown(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            try await harness.test { client in
                let admin = try await client.adminSession()
                let project = try await client.createProject(.session(admin))
                for (policy, field) in [
                    (#"{"start_time":"25:00"}"#, "backup_policy.start_time"), (#"{"start_time":"3:00"}"#, "backup_policy.start_time"),
                    (#"{"retention_days":-1}"#, "backup_policy.retention_days"), (#"{"timezone":"Mars/Olympus"}"#, "backup_policy.timezone"),
                    (#"{"retention":7}"#, "backup_policy.retention"), (#"{"enabled":"yes"}"#, "backup_policy.enabled"),
                ] {
                    let response = try await client.createInstance(.session(admin), project: project, name: "bad", extra: #","backup_policy":\#(policy)"#)
                    #expect(response.status == .badRequest, "\(policy): \(response.text)")
                    #expect(response.errorCode == "CONFIG_INVALID_REQUEST")
                    #expect(response.json["error"]?["details"]?.arrayValue?.first?["field"]?.stringValue == field, "\(policy): \(response.text)")
                }
                // Nothing half-made: no instance exists after the refusals.
                let list = try await client.send(.get, "/v1/projects/\(project)/instances", auth: .session(admin))
                #expect(list.json["total_count"] == 0)

                let id = try await Self.runningInstance(fixture, client, .session(admin), project: project, name: "nightly", policy: #"{"start_time":"02:00","retention_days":3}"#)
                let path = "/v1/projects/\(project)/instances/\(id)"
                let shown = try await client.send(.get, path, auth: .session(admin))
                #expect(shown.json["instance"]?["backup_policy"] == ["enabled": true, "start_time": "02:00", "timezone": "UTC", "retention_days": 3, "pitr_enabled": false])
                #expect(shown.json["instance"]?["recoverable_window"] == nil)

                let negative = try await client.send(.patch, path, auth: .session(admin), json: #"{"backup_policy":{"retention_days":-5}}"#)
                #expect(negative.status == .badRequest)
                let changed = try await client.send(.patch, path, auth: .session(admin),
                    json: #"{"backup_policy":{"start_time":"04:30","timezone":"Europe/Berlin"}}"#)
                #expect(changed.status == .ok, "\(changed.text)")
                #expect(changed.json["instance"]?["backup_policy"]?["start_time"] == "04:30")
                #expect(changed.json["instance"]?["backup_policy"]?["timezone"] == "Europe/Berlin")
                #expect(changed.json["instance"]?["backup_policy"]?["retention_days"] == 3)

                // A restore needs a backup or a moment; a malformed moment is 400, one without a window 422.
                let restore = "\(path)/restore"
                #expect(try await client.send(.post, restore, auth: .session(admin), json: "{}").status == .badRequest)
                #expect(try await client.send(.post, restore, auth: .session(admin), json: #"{"point_in_time":"yesterday"}"#).status == .badRequest)
                let noWindow = try await client.send(.post, restore, auth: .session(admin), json: #"{"point_in_time":"2026-01-01T00:00:00Z"}"#)
                #expect(noWindow.status == .unprocessableContent, "\(noWindow.text)")
            }
        }
    }

    @Test(arguments: Backends.all)
    func aScheduleFiresOneBackupPerDayWaitsWhileBusyAndCatchesUpOnce(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let plane = harness.services.controlPlane
            Self.setClock(harness, "2027-05-01T00:00:00Z")
            try await harness.test { client in
                // A token: a browser session would expire while the clock moves on by days.
                let admin = Auth.bearer(try await client.createToken(try await client.adminSession()))
                let project = try await client.createProject(admin)
                let id = try await Self.runningInstance(fixture, client, admin, project: project, name: "sched", policy: #"{"start_time":"02:00"}"#)
                #expect(try await plane.startDueBackups(logger: Self.logger).isEmpty)
                harness.clock.advance(by: 2 * 3600 + 60)  // 02:01 on day one
                let first = try await plane.startDueBackups(logger: Self.logger)
                #expect(first.count == 1)
                #expect(try await plane.startDueBackups(logger: Self.logger).isEmpty)
                // A restarted server (a second process on the same store) does not fire the slot again.
                let restarted = try await replica(of: harness)
                restarted.providers.register(fixture.provider)
                #expect(try await restarted.controlPlane.startDueBackups(logger: Self.logger).isEmpty)

                // Day two's slot comes while day one's backup still runs: it waits, and is not skipped.
                harness.clock.advance(by: 86_400)
                #expect(try await plane.startDueBackups(logger: Self.logger).isEmpty)
                #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await fixture.instanceState(id) == "RUNNING" })
                let second = try await plane.startDueBackups(logger: Self.logger)
                #expect(second.count == 1)
                #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await fixture.instanceState(id) == "RUNNING" })

                // Down for three days: one catch-up backup, not three, even with both servers sweeping at once.
                harness.clock.advance(by: 3 * 86_400)
                async let here = plane.startDueBackups(logger: Self.logger)
                async let there = restarted.controlPlane.startDueBackups(logger: Self.logger)
                #expect(try await here.count + there.count == 1)
                #expect(try await plane.startDueBackups(logger: Self.logger).isEmpty)
                await restarted.store.close()
                #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await fixture.instanceState(id) == "RUNNING" })

                let listed = try await client.send(.get, "/v1/projects/\(project)/instances/\(id)/backups", auth: admin)
                let items = listed.json["backups"]?.arrayValue ?? []
                #expect(items.count == 3, "\(listed.text)")
                #expect(items.allSatisfy { $0["trigger"] == "scheduled" && $0["state"] == "SUCCEEDED" && $0["expires_at"]?.stringValue != nil })
                #expect(items.allSatisfy { $0["size_bytes"]?.intValue == 4096 })
                let slots = try await Self.backups(fixture, id).map { Timestamp.iso8601(millis: $0.createdAt) }
                #expect(slots == ["2027-05-01T02:01:00Z", "2027-05-02T02:01:00Z", "2027-05-05T02:01:00Z"])
                let operations = try await client.send(.get, "/v1/projects/\(project)/operations", auth: admin)
                let backupOperations = (operations.json["operations"]?.arrayValue ?? []).filter { $0["type"] == "CREATE_BACKUP" }
                #expect(backupOperations.count == 3 && backupOperations.allSatisfy { $0["trigger"] == "scheduled" })

                // A manual backup says so.
                let manual = try await client.send(.post, "/v1/projects/\(project)/instances/\(id)/backups", auth: admin, json: "{}")
                #expect(manual.json["backup"]?["trigger"] == "manual", "\(manual.text)")
                #expect(manual.json["backup"]?["expires_at"] == nil)
                #expect(manual.json["operation"]?["trigger"] == "manual")

                // The built-in schedule runs the sweep through the job queue.
                #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await fixture.instanceState(id) == "RUNNING" })
                harness.clock.advance(by: 86_400)
                let fired = try await harness.services.makeScheduler().tick()
                #expect(fired.contains { $0.name == "dbaas-backup-schedules" })
                #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await Self.backups(fixture, id).count == 5 })
                #expect(try await Self.backups(fixture, id).last?.trigger == "scheduled")
            }
        }
    }

    @Test(arguments: Backends.all)
    func retentionDeletesExpiredBackupsButKeepsOneARestoreUses(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let plane = harness.services.controlPlane
            Self.setClock(harness, "2027-05-01T00:00:00Z")
            try await harness.test { client in
                let admin = Auth.bearer(try await client.createToken(try await client.adminSession()))
                let project = try await client.createProject(admin)
                let id = try await Self.runningInstance(fixture, client, admin, project: project, name: "keep", policy: #"{"start_time":"02:00","retention_days":2}"#)
                var scheduled: [String] = []
                for _ in 0..<2 {
                    harness.clock.advance(by: 86_400)
                    scheduled += try await plane.startDueBackups(logger: Self.logger)
                    #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await fixture.instanceState(id) == "RUNNING" })
                }
                #expect(scheduled.count == 2)
                let manual = try await client.send(.post, "/v1/projects/\(project)/instances/\(id)/backups", auth: admin, json: "{}")
                let manualId = try #require(manual.json["backup"]?["id"]?.stringValue)
                #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await fixture.instanceState(id) == "RUNNING" })

                // Nothing has expired yet.
                #expect(try await plane.applyRetention(logger: Self.logger).deleting.isEmpty)
                // Three days on both scheduled backups have expired; a restore (not yet run) uses the newer one.
                harness.clock.advance(by: 3 * 86_400)
                let restore = try await client.send(.post, "/v1/projects/\(project)/instances/\(id)/restore", auth: admin,
                    json: #"{"backup_id":"\#(scheduled[1])"}"#)
                #expect(restore.status == .accepted, "\(restore.text)")
                let first = try await plane.applyRetention(logger: Self.logger)
                #expect(first.deleting == [scheduled[0]])
                #expect(first.keptInUse == [scheduled[1]])
                let refused = try await client.send(.delete, "/v1/projects/\(project)/backups/\(scheduled[1])", auth: admin)
                #expect(refused.status == .conflict, "\(refused.text)")

                #expect(try await fixture.runJobs(timeout: .seconds(90)) {
                    let states = try await Self.backups(fixture, id).map(\.state)
                    return try await fixture.instanceState(id) == "RUNNING" && states.first == .DELETED
                })
                // The restore has ended: the kept backup goes now; the manual one has no expiry and stays.
                let second = try await plane.applyRetention(logger: Self.logger)
                #expect(second.deleting == [scheduled[1]])
                #expect(try await fixture.runJobs(timeout: .seconds(90)) {
                    try await Self.backups(fixture, id).filter { $0.state == .DELETED }.count == 2
                })
                let left = try await Self.backups(fixture, id).filter { $0.state != .DELETED }
                #expect(left.map(\.id) == [manualId])
            }
        }
    }

    @Test(arguments: Backends.all)
    func backupsCountAgainstTheStorageQuota(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, quotas: #"{"storage_gb":25}"#)
                let id = try await Self.runningInstance(fixture, client, admin, project: project, name: "q", policy: #"{"enabled":false}"#)
                let made = try await client.send(.post, "/v1/projects/\(project)/instances/\(id)/backups", auth: admin, json: "{}")
                let backupId = try #require(made.json["backup"]?["id"]?.stringValue)
                #expect(try await fixture.runJobs(timeout: .seconds(90)) { try await fixture.instanceState(id) == "RUNNING" })
                let shown = try await client.send(.get, "/v1/projects/\(project)", auth: admin)
                #expect(shown.json["project"]?["usage"]?["backup_bytes"] == 4096, "\(shown.text)")
                #expect(shown.json["project"]?["usage"]?["storage_gb"] == 10)

                // 10 GiB allocated + 10 more fit in 25 GiB, but not beside 6 GiB of backups.
                try await harness.services.store.write { db in
                    try await db.raw("UPDATE backups SET size_bytes = \(bind: Int64(6) << 30) WHERE id = \(bind: backupId)").run()
                }
                let refused = try await client.createInstance(admin, project: project, name: "second")
                #expect(refused.errorCode == "QUOTA_EXCEEDED", "\(refused.text)")
                #expect(refused.json["error"]?["message"]?.stringValue?.contains("backups and WAL archives") == true)
                try await harness.services.store.write { db in
                    try await db.raw("UPDATE backups SET size_bytes = 4096 WHERE id = \(bind: backupId)").run()
                }
                #expect(try await client.createInstance(admin, project: project, name: "second").status == .accepted)
            }
        }
    }
}
