@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Account sync against real PostgreSQL servers made by the local provider: created, altered (attributes, grants,
/// revokes, memberships) and dropped roles, with the right change-log entries.
/// Serialized: each case starts a real server, and servers started together slow the other local-provider suites.
@Suite(.timeLimit(.minutes(10)), .enabled(if: TestPostgres.isAvailable, "PostgreSQL server binaries not found"), .serialized)
struct AccountSyncTests {
    typealias L = LocalProviderTests

    /// A harness on `backend` with the local provider on `ports` and one project.
    static func withLocal<T: Sendable>(
        _ backend: Store.Backend, ports: ClosedRange<Int>, _ body: (DBaaSFixture, String) async throws -> T
    ) async throws -> T {
        try await Harness.with(backend, configure: { $0.localPorts = ports }) { harness in
            let fixture = DBaaSFixture(harness)
            let project = try await harness.test { client in
                try await client.createProject(.session(try await client.adminSession()), name: "acc-\(ports.lowerBound)")
            }
            do {
                let result = try await body(fixture, project)
                await L.cleanUp(harness.services)
                return result
            } catch {
                await L.cleanUp(harness.services)
                throw error
            }
        }
    }

    /// Syncs one instance through the API and waits for the task run; returns its result.
    static func sync(_ fixture: DBaaSFixture, _ instanceId: Int64) async throws -> JSONValue? {
        let response = try await fixture.harness.test { client in
            try await client.send(.post, "/api/v1/instances/\(instanceId)/actions/sync-accounts", auth: .session(try await client.adminSession()))
        }
        let id = try #require(response.json["data"]?["run_id"]?.intValue)
        _ = try await fixture.runJobs { try await fixture.services.jobs.get(id)?.state.isFinished == true }
        let job = try await fixture.services.jobs.get(id)
        #expect(job?.state == .succeeded, "\(job?.errorMessage ?? "")")
        return job?.result
    }

    /// The change-log entries since `after`, oldest first, as "username type".
    static func changes(_ fixture: DBaaSFixture, after: Int64 = 0) async throws -> [(id: Int64, line: String, privileges: JSONValue, other: JSONValue)] {
        let response = try await fixture.harness.test { client in
            try await client.send(.get, "/api/v1/account-change-logs?limit=200", auth: .session(try await client.adminSession()))
        }
        return (response.json["data"]?["items"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["change_id"]?.intValue, id > after else { return nil }
            return (id, "\(item["username"]!.stringValue!) \(item["change_type"]!.stringValue!)", item["privilege_diff"]!, item["other_diff"]!)
        }.reversed()
    }

    static func entries(_ diff: JSONValue) -> [String] {
        (diff.arrayValue ?? []).map { entry in
            let privileges = (entry["privileges"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            return "\(entry["action"]!.stringValue!) \(entry["scope"]!.stringValue!) \(entry["object"]!.stringValue!) \(privileges)"
        }
    }

    @Test(arguments: Backends.all)
    func syncFollowsCreatedAlteredAndDroppedRoles(_ backend: Store.Backend) async throws {
        let ports = backend == .sqlite ? 21400...21419 : 21420...21439
        try await Self.withLocal(backend, ports: ports) { fixture, project in
            let (create, body) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances", json: #"{"name":"accounts","engine":"postgresql","database":"appdb","user":"appdb_owner"}"#)
            let instanceId = try #require(body["instance"]?["instance_id"]?.intValue)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, create) == "SUCCEEDED")
            let instance = try await L.instance(fixture, id)
            let admin = try L.superuser(fixture, instance)
            _ = try await L.query(admin, """
                CREATE ROLE reader NOLOGIN; CREATE ROLE bob LOGIN; CREATE ROLE carol LOGIN; CREATE ROLE app_owner LOGIN CREATEDB;
                CREATE DATABASE shop; GRANT CONNECT, TEMPORARY ON DATABASE shop TO bob; SELECT 'ok'
                """)
            let shop = try L.superuser(fixture, instance, database: "shop")
            _ = try await L.query(shop, "CREATE TABLE orders (id int); GRANT SELECT ON orders TO bob; CREATE SCHEMA sales; GRANT USAGE ON SCHEMA sales TO bob; SELECT 'ok'")

            // A rule in place before the first sync: the sync classifies what it found.
            _ = try await fixture.services.classification.createRule(
                .init(classificationId: 1, dbType: "postgresql", ruleName: "superusers",
                      expression: ["version": 4, "expr": ["fn": "is_superuser"]], isActive: true), by: nil)
            let first = try #require(try await Self.sync(fixture, instanceId))
            #expect(first["succeeded"] == 1 && first["failed"]?.arrayCount == 0)
            var log = try await Self.changes(fixture)
            let added = Set(log.map(\.line))
            for name in ["reader", "bob", "carol", "app_owner", "postgres"] { #expect(added.contains("\(name) add"), "\(name) not added") }
            #expect(!added.contains { $0.hasPrefix("pg_") })
            let bobAdd = try #require(log.first { $0.line == "bob add" })
            #expect(Self.entries(bobAdd.privileges).contains("GRANT database shop CONNECT,TEMP"))
            #expect(Self.entries(bobAdd.privileges).contains("GRANT table shop.public SELECT"))
            #expect(Self.entries(bobAdd.privileges).contains("GRANT schema shop.sales USAGE"))
            let appAdd = try #require(log.first { $0.line == "app_owner add" })
            #expect(Self.entries(appAdd.privileges).contains("ALTER global CREATEDB CREATEDB"))

            let ledger = try await fixture.harness.test { client in
                try await client.send(.get, "/api/v1/accounts/ledgers?instance_id=\(instanceId)&search=bob", auth: .session(try await client.adminSession()))
            }
            let bobId = try #require(ledger.json["data"]?["items"]?.arrayFirst?["account_id"]?.intValue)
            let supers = try await fixture.harness.test { client in
                try await client.send(.get, "/api/v1/accounts/ledgers?instance_id=\(instanceId)&classification=super", auth: .session(try await client.adminSession()))
            }
            #expect(supers.json["data"]?["items"]?.arrayValue?.map { $0["username"]!.stringValue! } == ["postgres"])
            #expect(ledger.json["data"]?["items"]?.arrayFirst?["is_locked"] == false)
            let reader = try await fixture.services.accounts.permissions(instanceId: instanceId, username: "reader")
            #expect(reader?.facts.capabilities == ["LOCKED"])  // NOLOGIN
            #expect(try await fixture.services.accounts.permissions(instanceId: instanceId, username: "postgres")?.facts.capabilities.contains("SUPERUSER") == true)

            // Alter attributes, grant, revoke, add a membership; change only a limit; drop a role.
            _ = try await L.query(admin, """
                ALTER ROLE bob CREATEDB CONNECTION LIMIT 5; GRANT reader TO bob; ALTER ROLE app_owner CONNECTION LIMIT 3;
                DROP ROLE carol; REVOKE TEMPORARY ON DATABASE shop FROM bob; SELECT 'ok'
                """)
            _ = try await L.query(shop, "GRANT INSERT ON orders TO bob; REVOKE SELECT ON orders FROM bob; SELECT 'ok'")
            let mark = log.map(\.id).max() ?? 0
            _ = try await Self.sync(fixture, instanceId)
            log = try await Self.changes(fixture, after: mark)
            #expect(log.map(\.line).sorted() == ["app_owner modify_other", "bob modify_privilege", "carol delete"])
            let bobChange = try #require(log.first { $0.line == "bob modify_privilege" })
            #expect(Self.entries(bobChange.privileges) == [
                "ALTER global CREATEDB CREATEDB", "GRANT role * reader", "REVOKE database shop TEMP",
                "GRANT table shop.public INSERT", "REVOKE table shop.public SELECT",
            ])
            #expect(bobChange.other == [["field": "connection_limit", "before": -1, "after": 5]])
            let appChange = try #require(log.first { $0.line == "app_owner modify_other" })
            #expect(appChange.other == [["field": "connection_limit", "before": -1, "after": 3]])

            // Nothing changed: nothing logged. A dropped role that returns is the same account, added again.
            let quiet = log.map(\.id).max() ?? mark
            _ = try await Self.sync(fixture, instanceId)
            #expect(try await Self.changes(fixture, after: quiet).isEmpty)
            _ = try await L.query(admin, "CREATE ROLE carol LOGIN; SELECT 'ok'")
            let result = try #require(try await Self.sync(fixture, instanceId))
            #expect(result["accounts"]?.intValue ?? 0 >= 5)
            #expect(try await Self.changes(fixture, after: quiet).map(\.line) == ["carol add"])
            let carols = try await fixture.services.store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM account_ledger WHERE username = 'carol'").first()!.int("n")
            }
            #expect(carols == 1)

            try await fixture.harness.test { client in
                let auth = Auth.session(try await client.adminSession())
                let history = try await client.send(.get, "/api/v1/accounts/ledgers/\(bobId)/change-history", auth: auth)
                #expect(history.json["data"]?["items"]?.arrayValue?.map { $0["change_type"]!.stringValue! } == ["modify_privilege", "add"])
                #expect(try await client.send(.post, "/api/v1/instances/999999/actions/sync-accounts", auth: auth).status == .notFound)
                let all = try await client.send(.post, "/api/v1/instances/actions/sync-accounts", auth: auth)
                #expect(all.status == .ok && all.json["data"]?["run_id"]?.intValue != nil)
            }
        }
    }
}
