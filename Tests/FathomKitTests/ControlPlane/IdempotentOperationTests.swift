@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Issue 22, item 5: `Idempotency-Key` on every operation a client may retry (backup, restore, failover, user
/// create), a server error frees the key, a bad key is 400 and a key still in flight is 409.
@Suite(.timeLimit(.minutes(5))) struct IdempotentOperationTests {
    static func key(_ value: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: value] }
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    @Test(arguments: Backends.all)
    func retriedOperationsRunOnce(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "retries")
                let created = try await client.createInstance(admin, project: project, name: "ha", extra: #","high_availability":true"#)
                return (project, created.json["instance"]!["id"]!.stringValue!)
            }
            let base = "/v1/projects/\(project)/instances/\(instance)"
            #expect(try await fixture.runJobs { try await fixture.instanceState(instance) == "RUNNING" })

            /// Sends the same request twice with one key: the second is the first's answer, replayed.
            func twice(_ path: String, _ body: String, key: String) async throws -> TestResponse {
                try await harness.test { client in
                    let admin = Auth.session(try await client.adminSession())
                    let first = try await client.send(.post, path, auth: admin, json: body, headers: Self.key(key))
                    #expect(first.status == .accepted, "\(path): \(first.text)")
                    #expect(first.headers[Self.replayed] == nil)
                    let again = try await client.send(.post, path, auth: admin, json: body, headers: Self.key(key))
                    #expect(again.status == first.status)
                    #expect(again.headers[Self.replayed] == "true", "\(path)")
                    #expect(again.json == first.json, "\(path)")
                    return first
                }
            }
            func finished(_ response: TestResponse) async throws {
                let operation = try #require(response.json["operation"]?["id"]?.stringValue)
                #expect(try await fixture.runJobs { try await fixture.operationState(operation) == "SUCCEEDED" })
            }

            let backup = try await twice(base + "/backups", #"{"kind":"full"}"#, key: "backup-1")
            try await finished(backup)
            let backupId = try #require(backup.json["backup"]?["id"]?.stringValue)
            try await finished(try await twice(base + "/restore", #"{"backup_id":"\#(backupId)"}"#, key: "restore-1"))
            try await finished(try await twice(base + "/failover", "{}", key: "failover-1"))
            let user = try await twice(base + "/users", #"{"name":"reporting"}"#, key: "user-1")
            try await finished(user)
            // The replay after the operation ended is still the first answer, password included.
            #expect(user.json["user"]?["password"]?.stringValue?.isEmpty == false)

            let counts = try await harness.services.store.read { db in
                try await db.raw("SELECT type, COUNT(*) AS n FROM operations GROUP BY type").all()
                    .reduce(into: [String: Int]()) { $0[try $1.string("type")] = try $1.int("n") }
            }
            #expect(counts == ["CREATE_INSTANCE": 1, "CREATE_BACKUP": 1, "RESTORE_INSTANCE": 1, "FAILOVER_INSTANCE": 1, "CREATE_USER": 1])
            #expect(fixture.provider.calls.filter { ["backup", "restore", "failover"].contains($0) } == ["backup", "restore", "failover"])
        }
    }

    @Test(arguments: Backends.all)
    func badKeysAre400AndNothingIsStored(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await runningInstance(fixture)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                for bad in [String(repeating: "k", count: 256), "two words", "ключ", "tab\there"] {
                    let response = try await client.send(
                        .post, "/v1/projects/\(project)/instances/\(instance)/backups", auth: admin, json: #"{"kind":"full"}"#,
                        headers: Self.key(bad))
                    #expect(response.status == .badRequest, "\(bad)")
                    #expect(response.text.contains("Idempotency-Key"), "\(response.text)")
                }
            }
            let (keys, backups) = try await harness.services.store.read { db in
                (try await db.raw("SELECT COUNT(*) AS n FROM idempotency_keys").first()!.int("n"),
                 try await db.raw("SELECT COUNT(*) AS n FROM backups").first()!.int("n"))
            }
            #expect(keys == 0 && backups == 0)
        }
    }

    @Test(arguments: Backends.all)
    func aServerErrorFreesTheKey(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await runningInstance(fixture)
            // A real store failure inside the route: the backups table refuses inserts for a while.
            try await harness.services.store.write { db in
                for statement in Self.refuseInserts(backend) { try await db.raw(statement).run() }
            }
            let path = "/v1/projects/\(project)/instances/\(instance)/backups"
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let failed = try await client.send(.post, path, auth: admin, json: #"{"kind":"full"}"#, headers: Self.key("bk-5xx"))
                #expect(failed.status.code >= 500, "\(failed.status) \(failed.text)")
                try await harness.services.store.write { db in try await db.raw("DROP TRIGGER refuse_backups\(raw: backend == .postgres ? " ON backups" : "")").run() }
                // The same key again runs the request afresh instead of replaying the error.
                let retried = try await client.send(.post, path, auth: admin, json: #"{"kind":"full"}"#, headers: Self.key("bk-5xx"))
                #expect(retried.status == .accepted, "\(retried.text)")
                #expect(retried.headers[Self.replayed] == nil)
                let replay = try await client.send(.post, path, auth: admin, json: #"{"kind":"full"}"#, headers: Self.key("bk-5xx"))
                #expect(replay.headers[Self.replayed] == "true")
                #expect(replay.json == retried.json)
            }
            let backups = try await harness.services.store.read { db in try await db.raw("SELECT COUNT(*) AS n FROM backups").first()!.int("n") }
            #expect(backups == 1)
        }
    }

    static func refuseInserts(_ backend: Store.Backend) -> [SQLQueryString] {
        switch backend {
        case .sqlite:
            return ["CREATE TRIGGER refuse_backups BEFORE INSERT ON backups BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"]
        case .postgres:
            return [
                "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_backups BEFORE INSERT ON backups FOR EACH ROW EXECUTE FUNCTION refuse_insert()",
            ]
        }
    }

    /// A duplicate arriving while the first request still runs (here: on another replica, which holds the key)
    /// waits for its answer; past the wait it is 409, and the key's answer is replayed once it is there.
    @Test(arguments: Backends.all)
    func aKeyInFlightIs409ThenReplays(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: { $0.idempotencyWait = .seconds(1) }) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await runningInstance(fixture)
            let path = "/v1/projects/\(project)/instances/\(instance)/backups"
            let body = #"{"kind":"full"}"#
            let keys = IdempotencyStore(store: harness.services.store, secrets: harness.services.secrets)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                // Learn this session's key owner from a first keyed request.
                _ = try await client.send(.post, "/v1/projects", auth: admin, json: #"{"name":"owner-probe"}"#, headers: Self.key("probe"))
                let owner = try await harness.services.store.read { db in
                    try await db.raw("SELECT principal FROM idempotency_keys WHERE key = 'probe'").first()!.string("principal")
                }
                let fingerprint = IdempotencyMiddleware.fingerprint(method: .post, path: path, body: body, secrets: harness.services.secrets)
                try await keys.claim(owner: owner, key: "held", fingerprint: fingerprint, now: harness.services.clock.millis(), lifetime: 86_400_000)

                let started = ContinuousClock.now
                let busy = try await client.send(.post, path, auth: admin, json: body, headers: Self.key("held"))
                #expect(busy.status == .conflict)
                #expect(busy.errorCode == "IDEMPOTENCY_IN_FLIGHT", "\(busy.text)")
                #expect(ContinuousClock.now - started >= .seconds(1))

                // The holder answers while a duplicate waits: the duplicate gets that answer.
                let answer = #"{"held":"answer"}"#
                async let waiting = client.send(.post, path, auth: admin, json: body, headers: Self.key("held"))
                try await Task.sleep(for: .milliseconds(100))
                try await keys.finish(owner: owner, key: "held", status: 202, body: answer)
                let replay = try await waiting
                #expect(replay.status == .accepted)
                #expect(replay.text == answer)
                #expect(replay.headers[Self.replayed] == "true")
            }
            // Neither duplicate ran the request.
            let backups = try await harness.services.store.read { db in try await db.raw("SELECT COUNT(*) AS n FROM backups").first()!.int("n") }
            #expect(backups == 0)
        }
    }
}
