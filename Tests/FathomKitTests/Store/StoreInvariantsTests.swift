@testable import FathomKit
import Foundation
import SQLKit
import Testing

/// Each invariant of `fathom store check` passes on a settled store and fails when fed a store that breaks it.
@Suite(.timeLimit(.minutes(5))) struct StoreInvariantsTests {
    /// A settled store: one project, one instance (of `provider`) with a finished operation.
    struct Fixture {
        let harness: Harness
        let instance: Instance
        let operationId: String
        let jobId: Int64

        var store: Store { harness.services.store }

        static func make(_ harness: Harness, provider: String = "demo", endpoints: [Endpoint] = []) async throws -> Fixture {
            let services = harness.services
            let now = services.clock.millis()
            let instance = try await services.store.write { db in
                try await DemoStore.ensureProject("proj-check", now: now, on: db)
                return try await InstanceStore.insert(
                    Instance(
                        instanceId: 0, id: ResourceID.make("inst"), projectId: "proj-check", name: "checked", engine: "postgresql",
                        version: "15", region: "local", provider: provider, state: .RUNNING,
                        resources: Resources(cpu: 1, memory_gb: 1, storage_gb: 1), highAvailability: false, labels: [:],
                        endpoints: endpoints, connection: nil, sealedCredential: nil, activeOperationId: nil, createdAt: now,
                        updatedAt: now),
                    on: db)
            }
            let jobId = try await services.enqueue(NewJob(kind: "dbaas.create_instance"))
            let operationId = ResourceID.make("op")
            try await services.store.write { db in
                try await db.raw("UPDATE jobs SET state = 'succeeded', attempts = 1, finished_at = \(bind: now) WHERE id = \(bind: jobId)").run()
                try await db.raw(
                    """
                    INSERT INTO operations (id, project_id, instance_id, type, job_id, target_type, target_id, parameters, created_by, created_at)
                    VALUES (\(bind: operationId), 'proj-check', \(bind: instance.id), 'CREATE_INSTANCE', \(bind: jobId), 'instance',
                            \(bind: instance.id), '{}', 'admin', \(bind: now))
                    """
                ).run()
            }
            return Fixture(harness: harness, instance: instance, operationId: operationId, jobId: jobId)
        }

        func sql(_ query: SQLQueryString) async throws {
            try await store.write { db in try await db.raw(query).run() }
        }

        /// Runs every check and returns the names of those that failed.
        func failing(running: [LocalServer] = []) async throws -> Set<String> {
            let results = try await StoreInvariants(store: store, dataDir: "/nonexistent", scan: { _ in running }).check()
            #expect(results.count == 8)
            return Set(results.filter { !$0.passed }.map(\.name))
        }
    }

    @Test(arguments: Backends.all)
    func aSettledStorePassesEveryCheck(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness)
            #expect(try await fixture.failing() == [])
        }
    }

    @Test(arguments: Backends.all)
    func anUnfinishedOperationRunOrBackupFails(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness)
            try await fixture.sql("UPDATE jobs SET state = 'queued' WHERE id = \(bind: fixture.jobId)")
            #expect(try await fixture.failing() == ["operations_finished"])
            try await fixture.sql("UPDATE jobs SET state = 'succeeded' WHERE id = \(bind: fixture.jobId)")
            try await fixture.sql(
                """
                INSERT INTO backups (id, project_id, instance_id, kind, state, created_at)
                VALUES ('bkp-1', 'proj-check', \(bind: fixture.instance.id), 'full', 'RUNNING', 0)
                """)
            #expect(try await fixture.failing() == ["operations_finished"])
            try await fixture.sql("UPDATE backups SET state = 'SUCCEEDED'")
            #expect(try await fixture.failing() == [])
            try await fixture.sql(
                """
                INSERT INTO asset_sources (source_id, name, source_type, enabled, config, created_at, updated_at)
                VALUES ('src_1', 'self', 'fathom', \(bind: true), '{}', 0, 0)
                """)
            try await fixture.sql(
                """
                INSERT INTO asset_runs (run_id, source_id, mode, trigger_type, status, cancel_requested, warnings, errors, created_at)
                VALUES ('run_1', 'src_1', 'collect', 'manual', 'Running', \(bind: false), '[]', '[]', 0)
                """)
            #expect(try await fixture.failing() == ["operations_finished"])
        }
    }

    @Test(arguments: Backends.all)
    func aJobLeftRunningFails(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness)
            let job = try await harness.services.enqueue(NewJob(kind: JobCatalog.purgeExpired))
            // Queued work is fine with the servers stopped: it runs at the next start.
            #expect(try await fixture.failing() == [])
            try await fixture.sql("UPDATE jobs SET state = 'running', attempts = 1, lease_owner = 'dead-1' WHERE id = \(bind: job)")
            #expect(try await fixture.failing() == ["no_running_jobs"])
        }
    }

    @Test(arguments: Backends.all)
    func everyTransitionalInstanceStateFails(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness)
            for state in StoreInvariants.transitionalStates {
                try await fixture.sql("UPDATE instances SET state = \(bind: state.rawValue) WHERE id = \(bind: fixture.instance.id)")
                #expect(try await fixture.failing() == ["instances_settled"], "\(state)")
            }
            for state in [InstanceState.STOPPED, .FAILED, .DELETED, .RUNNING] {
                try await fixture.sql("UPDATE instances SET state = \(bind: state.rawValue) WHERE id = \(bind: fixture.instance.id)")
                #expect(try await fixture.failing() == [], "\(state)")
            }
        }
    }

    @Test(arguments: Backends.all)
    func aJobRunAgainWithoutAReasonOrTooOftenFails(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness)
            try await fixture.sql("UPDATE jobs SET attempts = 2 WHERE id = \(bind: fixture.jobId)")
            #expect(try await fixture.failing() == ["jobs_ran_once"])
            // Retried with a recorded reason (what lease recovery writes) is fine.
            try await fixture.sql("UPDATE jobs SET error_code = 'JOB_LEASE_EXPIRED' WHERE id = \(bind: fixture.jobId)")
            #expect(try await fixture.failing() == [])
            try await fixture.sql("UPDATE jobs SET attempts = max_attempts + 1 WHERE id = \(bind: fixture.jobId)")
            #expect(try await fixture.failing() == ["jobs_ran_once"])
            try await fixture.sql("UPDATE jobs SET attempts = 0 WHERE id = \(bind: fixture.jobId)")
            #expect(try await fixture.failing() == ["jobs_ran_once"])
        }
    }

    @Test(arguments: Backends.all)
    func aSlotFiredTwiceOrAJobSharedBySlotsFails(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness)
            let schedule = try #require(try await harness.services.schedules.get("purge-expired-sessions"))
            let minutes = try #require(schedule.cadence.intervalMinutes)
            let first = schedule.anchorAt + Int64(minutes) * 60_000
            let jobA = try await harness.services.enqueue(NewJob(kind: JobCatalog.purgeExpired))
            let jobB = try await harness.services.enqueue(NewJob(kind: JobCatalog.purgeExpired))
            try await fixture.sql("UPDATE jobs SET state = 'succeeded', attempts = 1")
            func fire(_ slot: Int64, _ job: Int64) async throws {
                try await fixture.sql(
                    "INSERT INTO schedule_fires (schedule_name, slot_at, job_id, fired_at) VALUES (\(bind: schedule.name), \(bind: slot), \(bind: job), 0)")
            }
            try await fire(first, jobA)
            try await fire(first + Int64(minutes) * 60_000, jobB)
            #expect(try await fixture.failing() == [])
            // A slot one minute after the last: the schedule fired twice within one interval.
            let jobC = try await harness.services.enqueue(NewJob(kind: JobCatalog.purgeExpired))
            try await fixture.sql("UPDATE jobs SET state = 'succeeded', attempts = 1 WHERE id = \(bind: jobC)")
            try await fire(first + Int64(minutes + 1) * 60_000, jobC)
            #expect(try await fixture.failing() == ["schedule_slots_once"])
            try await fixture.sql("DELETE FROM schedule_fires WHERE job_id = \(bind: jobC)")
            #expect(try await fixture.failing() == [])
            // Two slots that enqueued the same job.
            try await fire(first + Int64(4 * minutes) * 60_000, jobA)
            #expect(try await fixture.failing() == ["schedule_slots_once"])
        }
    }

    @Test(arguments: Backends.all)
    func aRowNamingAMissingInstanceFails(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness)
            try await fixture.sql("UPDATE operations SET instance_id = 'inst-gone' WHERE id = \(bind: fixture.operationId)")
            #expect(try await fixture.failing() == ["references"])
            try await fixture.sql("UPDATE operations SET instance_id = \(bind: fixture.instance.id)")
            try await fixture.sql("UPDATE instances SET active_operation_id = 'op-gone'")
            #expect(try await fixture.failing() == ["references"])
        }
    }

    @Test(arguments: Backends.all)
    func aStoreFailingItsOwnChecksFails(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness)
            switch backend {
            case .sqlite:
                // Foreign keys are enforced per connection: a connection that turned them off can write an orphan,
                // which foreign_key_check then finds.
                try await fixture.store.read { db in
                    try await db.raw("PRAGMA foreign_keys=OFF").run()
                    try await db.raw("INSERT INTO project_members (project_id, user_id, role, created_at) VALUES ('proj-none', 'u_none', 'owner', 0)").run()
                    try await db.raw("PRAGMA foreign_keys=ON").run()
                }
            case .postgres:
                // A constraint added NOT VALID was never checked against the rows already there.
                try await fixture.sql("ALTER TABLE projects ADD CONSTRAINT quota_positive CHECK (quota_instances > 0) NOT VALID")
            }
            #expect(try await fixture.failing() == ["store_integrity"])
        }
    }

    @Test(arguments: Backends.all)
    func localServersMustMatchRunningInstances(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = try await Fixture.make(harness, provider: "local", endpoints: [Endpoint(host: "127.0.0.1", port: 55001, role: .primary)])
            let id = fixture.instance.id
            let own = LocalServer(pid: 10, instanceId: id, port: 55001, dataDirectory: "/d/instances/\(id)/node-55001")
            #expect(try await fixture.failing(running: [own]) == [])
            // The RUNNING instance's server is missing.
            #expect(try await fixture.failing(running: []) == ["local_servers"])
            // A server with no instance row, and one on a port that is not the instance's.
            let stray = LocalServer(pid: 11, instanceId: "inst-stray", port: 55002, dataDirectory: "/d/instances/inst-stray/node-55002")
            #expect(try await fixture.failing(running: [own, stray]) == ["local_servers"])
            let oldNode = LocalServer(pid: 12, instanceId: id, port: 55003, dataDirectory: "/d/instances/\(id)/node-55003")
            #expect(try await fixture.failing(running: [own, oldNode]) == ["local_servers"])
            // A deleted instance's server must be gone too.
            try await fixture.sql("UPDATE instances SET state = 'DELETED' WHERE id = \(bind: id)")
            #expect(try await fixture.failing(running: [own]) == ["local_servers"])
            #expect(try await fixture.failing(running: []) == [])
        }
    }

    @Test func theScanFindsAPostmasterByItsCommandLine() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-scan-\(UUID().uuidString)").path
        let node = "\(root)/instances/inst-scan/node-55009"
        // A stand-in postmaster: argv[0] `postgres` and `-D <node>`, as pg_ctl starts the real one.
        let child = try Subprocess.start("/bin/bash", ["-c", "exec -a postgres /usr/bin/perl -e 'sleep 30' -- -D \"$0\"", node])
        defer { child.kill() }
        let found = await waitUntil(timeout: .seconds(10)) {
            LocalServerScan.servers(underDataDirectory: root).contains { $0.instanceId == "inst-scan" && $0.port == 55009 }
        }
        #expect(found)
        #expect(LocalServerScan.servers(underDataDirectory: "\(root)-other").isEmpty)
    }
}
