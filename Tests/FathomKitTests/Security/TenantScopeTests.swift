@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Issue 23, finding 3: `/api/v1` honours project scope for project-bound tokens and `member` users.
@Suite(.timeLimit(.minutes(5))) struct TenantScopeTests {
    struct Seeded {
        var projectA: String
        var projectB: String
        var instanceA: Int64
        var instanceB: Int64
        var databaseA: Int64
        var databaseB: Int64
    }

    /// Two projects, each with one running instance holding one database with a size sample.
    static func seed(_ services: AppServices) async throws -> Seeded {
        try await services.store.write { db in
            var ids: [(Int64, Int64)] = []
            for name in ["a", "b"] {
                try await db.raw(
                    """
                    INSERT INTO projects (id, name, description, quota_instances, quota_storage_gb, created_at, updated_at)
                    VALUES (\(bind: "proj-" + name), \(bind: "team-" + name), '', 10, 100, 0, 0)
                    """
                ).run()
                let instance = try await InstanceStore.insert(
                    Instance(
                        instanceId: 0, id: "inst-" + name, projectId: "proj-" + name, name: "db-" + name, engine: "postgresql",
                        version: "15", region: "local", provider: "scripted", state: .RUNNING,
                        resources: Resources(cpu: 1, memory_gb: 1, storage_gb: 1), highAvailability: false,
                        labels: ["team": name], endpoints: [Endpoint(host: "10.0.0.\(ids.count + 1)", port: 5432, role: .primary)],
                        connection: nil, sealedCredential: nil, activeOperationId: nil, createdAt: 0, updatedAt: 0),
                    on: db)
                let database = try await db.raw(
                    """
                    INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, created_at, updated_at)
                    VALUES (\(bind: instance.instanceId), \(bind: "shop_" + name), \(bind: true), '2026-03-01', '2026-03-01', 0, 0)
                    RETURNING database_id
                    """
                ).first()!.int64("database_id")
                try await db.raw("UPDATE instances SET active_databases = 1 WHERE instance_id = \(bind: instance.instanceId)").run()
                try await AggregationTests.sample(database, instance: instance.instanceId, day: "2026-03-01", bytes: 1000, on: db)
                ids.append((instance.instanceId, database))
            }
            return Seeded(
                projectA: "proj-a", projectB: "proj-b", instanceA: ids[0].0, instanceB: ids[1].0, databaseA: ids[0].1,
                databaseB: ids[1].1)
        }
    }

    static func names(_ response: TestResponse, _ key: String) -> Set<String> {
        guard case .array(let items)? = response.json["data"]?["items"] else { return [] }
        return Set(items.compactMap { $0[key]?.stringValue })
    }

    @Test(arguments: Backends.all)
    func projectBoundTokenSeesAndActsOnItsProjectOnly(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let seeded = try await Self.seed(harness.services)
            let alice = try await harness.createUser("alice", role: .operator)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                _ = try await client.send(.put, "/v1/projects/\(seeded.projectA)/members/\(alice.id)", auth: admin, json: #"{"role":"operator"}"#)
                let token = Auth.bearer(try await client.createToken(try await client.login("alice", "password-123"), extra: #","projectId":"\#(seeded.projectA)""#))

                let ledger = try await client.send(.get, "/api/v1/databases/ledgers", auth: token)
                #expect(ledger.status == .ok)
                #expect(Self.names(ledger, "database_name") == ["shop_a"])
                #expect(ledger.json["data"]?["total"] == 1)
                #expect(!ledger.text.contains("10.0.0.2"))  // B's host
                // The fleet view stays the platform team's.
                #expect(Self.names(try await client.send(.get, "/api/v1/databases/ledgers", auth: admin), "database_name") == ["shop_a", "shop_b"])

                let csv = try await client.send(.get, "/api/v1/databases/ledgers/exports", auth: token)
                #expect(csv.text.contains("shop_a") && !csv.text.contains("shop_b"))
                let capacity = try await client.send(.get, "/api/v1/capacity/databases?get_all=true", auth: token)
                #expect(Self.names(capacity, "database_name") == ["shop_a"])
                let instances = try await client.send(.get, "/api/v1/capacity/instances?get_all=true", auth: token)
                #expect(Self.names(instances, "instance_name") == ["db-a"])
                let summary = try await client.send(.get, "/api/v1/capacity/databases/summary", auth: token)
                #expect(summary.json["data"]?["summary"]?["total_count"] == 1)
                // B's instance and database are not found, whichever route names them.
                for path in [
                    "/api/v1/databases/options?instance_id=\(seeded.instanceB)",
                    "/api/v1/databases/sizes?instance_id=\(seeded.instanceB)",
                    "/api/v1/databases/\(seeded.databaseB)/tables/sizes",
                ] {
                    let response = try await client.send(.get, path, auth: token)
                    #expect(response.status == .notFound, "\(path)")
                }
                #expect(try await client.send(.get, "/api/v1/databases/options?instance_id=\(seeded.instanceA)", auth: token).status == .ok)
                let refreshB = try await client.send(.post, "/api/v1/databases/\(seeded.databaseB)/tables/sizes/actions/refresh", auth: token)
                #expect(refreshB.status == .notFound)

                // sync-all collects A's instances only, as A's task run; B's runs stay invisible.
                let fleetRun = try #require(try await client.send(.post, "/api/v1/databases/ledgers/actions/sync-all", auth: admin).json["data"]?["run_id"]?.intValue)
                let sync = try await client.send(.post, "/api/v1/databases/ledgers/actions/sync-all", auth: token)
                #expect(sync.status == .ok)
                let runId = try #require(sync.json["data"]?["run_id"]?.intValue)
                let job = try #require(try await harness.services.jobs.get(runId))
                #expect(job.payload["instance_ids"] == [.int(seeded.instanceA)])
                let runs = try await client.send(.get, "/api/v1/task-runs", auth: token)
                #expect(runs.json["data"]?["total"] == 1)
                #expect(try await client.send(.get, "/api/v1/task-runs/\(runId)", auth: token).status == .ok)
                #expect(try await client.send(.get, "/api/v1/task-runs/\(fleetRun)", auth: token).status == .notFound)
                #expect(try await client.send(.get, "/api/v1/task-runs", auth: admin).json["data"]?["total"] == 2)
            }
        }
    }

    @Test(arguments: Backends.all)
    func memberUsersSeeTheirProjectsAndGlobalRolesTheFleet(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let seeded = try await Self.seed(harness.services)
            let tina = try await harness.createUser("tina", role: .member)
            _ = try await harness.createUser("vic", role: .viewer)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let tinaSession = try await client.login("tina", "password-123")
                let tinaAuth = Auth.session(tinaSession)
                // `member` is a global role, not a project role.
                let asMemberRole = try await client.send(.put, "/v1/projects/\(seeded.projectB)/members/\(tina.id)", auth: admin, json: #"{"role":"member"}"#)
                #expect(asMemberRole.status == .badRequest)
                // No membership yet: nothing at all.
                #expect(try await client.send(.get, "/api/v1/databases/ledgers", auth: tinaAuth).json["data"]?["total"] == 0)
                _ = try await client.send(.put, "/v1/projects/\(seeded.projectB)/members/\(tina.id)", auth: admin, json: #"{"role":"viewer"}"#)
                let ledger = try await client.send(.get, "/api/v1/databases/ledgers", auth: tinaAuth)
                #expect(Self.names(ledger, "database_name") == ["shop_b"])
                // A viewer membership does not let her start collections, and a member has no admin pages.
                #expect(try await client.send(.post, "/api/v1/databases/ledgers/actions/sync-all", auth: tinaAuth).status == .forbidden)
                #expect(try await client.send(.get, "/api/v1/users", auth: tinaAuth).status == .forbidden)
                // Her project is reachable on /v1 as a viewer; the other one is not.
                #expect(try await client.send(.get, "/v1/projects/\(seeded.projectB)/instances", auth: tinaAuth).status == .ok)
                #expect(try await client.send(.get, "/v1/projects/\(seeded.projectA)/instances", auth: tinaAuth).status == .forbidden)
                // A token of hers carries her project roles (capped by its ceiling).
                let token = Auth.bearer(try await client.createToken(tinaSession))
                #expect(Self.names(try await client.send(.get, "/api/v1/databases/ledgers", auth: token), "database_name") == ["shop_b"])
                // A global viewer keeps the fleet view.
                let vic = Auth.session(try await client.login("vic", "password-123"))
                #expect(Self.names(try await client.send(.get, "/api/v1/databases/ledgers", auth: vic), "database_name") == ["shop_a", "shop_b"])
            }
        }
    }
}
