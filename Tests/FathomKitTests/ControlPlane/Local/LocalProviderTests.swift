@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing

/// Real PostgreSQL processes started by the local provider. Each test uses its own port range.
@Suite(.enabled(if: TestPostgres.isAvailable, "PostgreSQL server binaries not found"), .timeLimit(.minutes(10)))
struct LocalProviderTests {
    static func withLocal<T: Sendable>(ports: ClosedRange<Int>, _ body: (DBaaSFixture, String) async throws -> T) async throws -> T {
        try await Harness.with(.sqlite, configure: { $0.localPorts = ports }) { harness in
            let fixture = DBaaSFixture(harness)
            let project = try await harness.test { client in
                try await client.createProject(.session(try await client.adminSession()), name: "local-\(ports.lowerBound)")
            }
            do {
                let result = try await body(fixture, project)
                await Self.cleanUp(harness.services)
                return result
            } catch {
                await Self.cleanUp(harness.services)
                throw error
            }
        }
    }

    /// Stops every server a test started.
    static func cleanUp(_ services: AppServices) async {
        _ = try? await services.makeReconciler().stopAll()
    }

    /// Runs an API call as admin and returns the operation id it started.
    static func start(_ fixture: DBaaSFixture, _ method: HTTPRequest.Method, _ path: String, json: String? = nil) async throws -> (String, JSONValue) {
        let response = try await fixture.harness.test { client in
            try await client.send(method, path, auth: .session(try await client.adminSession()), json: json)
        }
        guard response.status == .accepted, let operation = response.json["operation"]?["id"]?.stringValue else {
            throw HarnessError("\(method) \(path): \(response.status) \(response.text)")
        }
        return (operation, response.json)
    }

    static func finish(_ fixture: DBaaSFixture, _ operation: String) async throws -> String? {
        // Real servers: initdb and base backups take far longer than 20 s when the whole suite shares two cores.
        _ = try await fixture.runJobs(timeout: .seconds(180), until: {
            let state = try await fixture.operationState(operation)
            return state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED"
        })
        let state = try await fixture.operationState(operation)
        if state != "SUCCEEDED" {
            let job = try await fixture.services.store.read { db in try await OperationStore.find(projectId: nil, id: operation, on: db)?.job }
            print("operation \(operation) ended \(state ?? "nil"): \(job?.errorCode ?? "") \(job?.errorMessage ?? "")")
        }
        return state
    }

    static func instance(_ fixture: DBaaSFixture, _ id: String) async throws -> Instance {
        try #require(try await fixture.services.store.read { db in try await InstanceStore.find(id: id, on: db) })
    }

    static func superuser(_ fixture: DBaaSFixture, _ instance: Instance, port: Int? = nil, database: String = "postgres") throws -> PostgresSession.Target {
        let credential = JSONText.decode(try fixture.services.secrets.open(try #require(instance.sealedCredential)))
        return PostgresSession.Target(
            host: "127.0.0.1", port: port ?? instance.endpoints.first { $0.role == .primary }!.port, username: "postgres",
            password: credential["password"]!.stringValue!, database: database)
    }

    /// Runs `;`-separated statements; returns the last one's single text column.
    static func query(_ target: PostgresSession.Target, _ sql: String) async throws -> [String] {
        try await PostgresSession.with(target, logger: Logger(label: "test")) { connection in
            var values: [String] = []
            for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !statement.isEmpty {
                values = []
                let rows = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Logger(label: "test"))
                for try await row in rows {
                    if let value = try? row.decode(String.self) { values.append(value) }
                }
            }
            return values
        }
    }

    @Test func createConnectRestartResizeAndDelete() async throws {
        try await Self.withLocal(ports: 21000...21019) { fixture, project in
            let (create, body) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances",
                json: #"{"name":"real","engine":"postgresql","resources":{"cpu":1,"memory_gb":1,"storage_gb":5}}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(body["instance"]?["provider"] == "local")
            #expect(try await Self.finish(fixture, create) == "SUCCEEDED")
            var instance = try await Self.instance(fixture, id)
            #expect(instance.state == .RUNNING)
            #expect(instance.endpoints.count == 1)
            let target = try Self.superuser(fixture, instance)
            #expect(try await Self.query(target, "SELECT (40 + 2)::text") == ["42"])
            #expect(try await Self.query(target, "SHOW shared_buffers") == ["256MB"])

            let (restart, _) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/restart")
            #expect(try await Self.finish(fixture, restart) == "SUCCEEDED")
            #expect(try await Self.query(target, "SELECT 'up'") == ["up"])

            let (resize, _) = try await Self.start(fixture, .patch, "/v1/projects/\(project)/instances/\(id)",
                json: #"{"resources":{"cpu":1,"memory_gb":2,"storage_gb":5}}"#)
            #expect(try await Self.finish(fixture, resize) == "SUCCEEDED")
            #expect(try await Self.query(target, "SHOW shared_buffers") == ["512MB"])

            // A crashed server is brought back by reconciliation.
            instance = try await Self.instance(fixture, id)
            let node = "\(fixture.services.configuration.dataDir)/instances/\(id)/node-\(instance.endpoints[0].port)"
            let pidText = try String(contentsOfFile: "\(node)/postmaster.pid", encoding: .utf8)
            let pid = try #require(Int32(pidText.split(separator: "\n")[0]))
            kill(pid, SIGKILL)
            #expect(try await waitUntil(timeout: .seconds(10)) { !processAlive(pid) })
            let restarted = await fixture.services.makeReconciler().reconcile()
            #expect(restarted.isEmpty)  // started again on the first try
            #expect(try await Self.query(target, "SELECT 'back'") == ["back"])
            // Reconciliation also measured the data against the storage limit.
            let measured = try await fixture.harness.test { client in
                try await client.send(.get, "/v1/projects/\(project)/instances/\(id)", auth: .session(try await client.adminSession()))
            }
            #expect((measured.json["instance"]?["storage"]?["used_bytes"]?.intValue ?? 0) > 10_000_000)
            #expect(measured.json["instance"]?["storage"]?["limit_gb"] == 5)
            #expect(measured.json["instance"]?["storage"]?["over_limit"] == false)

            let (delete, _) = try await Self.start(fixture, .delete, "/v1/projects/\(project)/instances/\(id)")
            #expect(try await Self.finish(fixture, delete) == "SUCCEEDED")
            #expect(!FileManager.default.fileExists(atPath: "\(fixture.services.configuration.dataDir)/instances/\(id)"))
            await #expect(throws: (any Error).self) { try await Self.query(target, "SELECT 1") }
        }
    }

    @Test func highAvailabilityFailoverKeepsTheData() async throws {
        try await Self.withLocal(ports: 21020...21039) { fixture, project in
            let (create, body) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances",
                json: #"{"name":"ha","engine":"postgresql","high_availability":true}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await Self.finish(fixture, create) == "SUCCEEDED")
            let failure = try await fixture.harness.test { client in
                try await client.send(.get, "/v1/projects/\(project)/operations/\(create)", auth: .session(try await client.adminSession()))
            }
            #expect(failure.json["operation"]?["error"] == nil, "\(failure.text)")
            let before = try await Self.instance(fixture, id)
            // Required, not expected: the indexing below must not run on an instance that never got its standby.
            try #require(before.endpoints.map(\.role) == [.primary, .standby])
            let oldPrimary = before.endpoints[0].port
            let standby = before.endpoints[1].port
            let primaryTarget = try Self.superuser(fixture, before)
            _ = try await Self.query(primaryTarget, "CREATE TABLE orders (id int primary key); INSERT INTO orders SELECT generate_series(1, 100); SELECT 'ok'")
            // The standby has the rows once replication catches up.
            let standbyTarget = try Self.superuser(fixture, before, port: standby)
            #expect(try await waitUntil(timeout: .seconds(10)) { (try? await Self.query(standbyTarget, "SELECT count(*)::text FROM orders")) == ["100"] })

            let (failover, _) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/failover")
            #expect(try await Self.finish(fixture, failover) == "SUCCEEDED")
            let after = try await Self.instance(fixture, id)
            #expect(after.endpoints.first { $0.role == .primary }?.port == standby)
            #expect(after.endpoints.first { $0.role == .standby }?.port == oldPrimary)
            let newPrimary = try Self.superuser(fixture, after)
            #expect(try await Self.query(newPrimary, "SELECT count(*)::text FROM orders") == ["100"])
            _ = try await Self.query(newPrimary, "INSERT INTO orders VALUES (101); SELECT 'ok'")
            let oldAsStandby = try Self.superuser(fixture, after, port: oldPrimary)
            #expect(try await waitUntil(timeout: .seconds(20)) { (try? await Self.query(oldAsStandby, "SELECT pg_is_in_recovery()::text")) == ["true"] })
            #expect(try await waitUntil(timeout: .seconds(10)) { (try? await Self.query(oldAsStandby, "SELECT count(*)::text FROM orders")) == ["101"] })
            let job = try #require(try await fixture.services.store.read { db in try await OperationStore.find(projectId: nil, id: failover, on: db) })
            #expect(job.job.result?["unavailable_ms"]?.intValue != nil)
        }
    }

    @Test func backupRestoreAndAFailedRestoreLosesNothing() async throws {
        try await Self.withLocal(ports: 21040...21059) { fixture, project in
            let (create, body) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances", json: #"{"name":"kept","engine":"postgresql"}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await Self.finish(fixture, create) == "SUCCEEDED")
            let target = try Self.superuser(fixture, try await Self.instance(fixture, id))
            _ = try await Self.query(target, "CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2), (3); SELECT 'ok'")
            let (backupOp, backupBody) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/backups", json: "{}")
            let backupId = try #require(backupBody["backup"]?["id"]?.stringValue)
            #expect(try await Self.finish(fixture, backupOp) == "SUCCEEDED")
            let backup = try await fixture.services.controlPlane.backup(backupId, projectId: project)
            #expect((backup.sizeBytes ?? 0) > 100_000)
            _ = try await Self.query(target, "INSERT INTO t VALUES (4), (5); SELECT 'ok'")

            let (restore, _) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/restore", json: #"{"backup_id":"\#(backupId)"}"#)
            #expect(try await Self.finish(fixture, restore) == "SUCCEEDED")
            #expect(try await Self.query(target, "SELECT string_agg(n::text, ',' ORDER BY n) FROM t") == ["1,2,3"])

            // A restore that fails half-way (the archive is damaged) leaves the instance running on its data.
            _ = try await Self.query(target, "INSERT INTO t VALUES (9); SELECT 'ok'")
            let archive = try #require(backup.location)
            let handle = try #require(FileHandle(forWritingAtPath: archive))
            try handle.truncate(atOffset: 4096)
            try handle.close()
            let (broken, _) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances/\(id)/restore", json: #"{"backup_id":"\#(backupId)"}"#)
            #expect(try await Self.finish(fixture, broken) == "FAILED")
            #expect(try await Self.instance(fixture, id).state == .RUNNING)
            #expect(try await Self.query(target, "SELECT string_agg(n::text, ',' ORDER BY n) FROM t") == ["1,2,3,9"])
        }
    }

    @Test func databaseUsersLogInUntilDisabled() async throws {
        try await Self.withLocal(ports: 21060...21079) { fixture, project in
            let (create, body) = try await Self.start(fixture, .post, "/v1/projects/\(project)/instances", json: #"{"name":"users","engine":"postgresql"}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await Self.finish(fixture, create) == "SUCCEEDED")
            let base = "/v1/projects/\(project)/instances/\(id)/users"
            let (createUser, userBody) = try await Self.start(fixture, .post, base,
                json: #"{"name":"app","password":"app-password-1","privileges":{"postgres":["CONNECT","CREATE"]},"connection_limit":5}"#)
            let userId = try #require(userBody["user"]?["id"]?.stringValue)
            #expect(try await Self.finish(fixture, createUser) == "SUCCEEDED")
            let instance = try await Self.instance(fixture, id)
            let port = instance.endpoints[0].port
            let asApp = PostgresSession.Target(host: "127.0.0.1", port: port, username: "app", password: "app-password-1", database: "postgres")
            #expect(try await Self.query(asApp, "SELECT current_user::text") == ["app"])
            let admin = try Self.superuser(fixture, instance)
            #expect(try await Self.query(admin, "SELECT rolconnlimit::text FROM pg_roles WHERE rolname = 'app'") == ["5"])

            let (disable, _) = try await Self.start(fixture, .patch, base + "/\(userId)", json: #"{"login":false}"#)
            #expect(try await Self.finish(fixture, disable) == "SUCCEEDED")
            await #expect(throws: (any Error).self) { try await Self.query(asApp, "SELECT 1") }

            let (drop, _) = try await Self.start(fixture, .delete, base + "/\(userId)")
            #expect(try await Self.finish(fixture, drop) == "SUCCEEDED")
            #expect(try await Self.query(admin, "SELECT count(*)::text FROM pg_roles WHERE rolname = 'app'") == ["0"])
        }
    }
}
