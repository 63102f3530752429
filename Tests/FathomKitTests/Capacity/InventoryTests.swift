@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Inventory, sizes and table sizes collected from real local PostgreSQL servers.
@Suite(.enabled(if: TestPostgres.isAvailable, "PostgreSQL server binaries not found"), .timeLimit(.minutes(10)))
struct InventoryTests {
    typealias L = LocalProviderTests

    /// Runs a sync-all through the API and waits for its task run; returns the run's result.
    static func syncAll(_ fixture: DBaaSFixture) async throws -> JSONValue? {
        let runId = try await fixture.harness.test { client in
            try await client.send(.post, "/api/v1/databases/ledgers/actions/sync-all", auth: .session(try await client.adminSession()))
                .json["data"]?["run_id"]?.intValue
        }
        let id = try #require(runId)
        _ = try await fixture.runJobs { try await fixture.services.jobs.get(id)?.state.isFinished == true }
        return try await fixture.services.jobs.get(id)?.result
    }

    @Test func inventorySizesAndTableSnapshots() async throws {
        try await L.withLocal(ports: 21200...21219) { fixture, project in
            let (create, body) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances",
                json: #"{"name":"measured","engine":"postgresql","labels":{"env":"prod","team":"core"}}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            let instanceId = try #require(body["instance"]?["instance_id"]?.intValue)
            #expect(try await L.finish(fixture, create) == "SUCCEEDED")
            let (second, secondBody) = try await L.start(fixture, .post, "/v1/projects/\(project)/instances", json: #"{"name":"down","engine":"postgresql"}"#)
            let downId = try #require(secondBody["instance"]?["id"]?.stringValue)
            #expect(try await L.finish(fixture, second) == "SUCCEEDED")

            let instance = try await L.instance(fixture, id)
            let admin = try L.superuser(fixture, instance)
            _ = try await L.query(admin, "CREATE DATABASE shop; CREATE DATABASE analytics; SELECT 'ok'")
            let shop = try L.superuser(fixture, instance, database: "shop")
            _ = try await L.query(shop, "CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 20000) g; CREATE INDEX ON orders (id); CREATE TABLE gone (n int); ANALYZE; SELECT 'ok'")
            // The second instance is down: its collection fails alone.
            _ = try await fixture.services.makeReconciler().stopAll(only: downId)

            let result = try #require(try await Self.syncAll(fixture))
            #expect(result["succeeded"] == 1)
            #expect(result["failed"]?.arrayCount == 1)
            #expect(result["failed"]?.arrayFirst?["id"]?.stringValue == downId)

            let expected = try await L.query(admin, "SELECT pg_database_size('shop')::text")
            try await fixture.harness.test { client in
                let viewer = try await fixture.harness.createUser("capacity-viewer", role: .viewer)
                let auth = Auth.session(try await client.login(viewer.username, "password-123"))
                let ledger = try await client.send(.get, "/api/v1/databases/ledgers?instance_id=\(instanceId)&limit=50", auth: auth)
                #expect(ledger.status == .ok)
                #expect(ledger.json["data"]?["total"] == 4)  // postgres, app (the default database), shop, analytics
                guard case .array(let items) = ledger.json["data"]?["items"] else { Issue.record("no items"); return }
                let shopItem = try #require(items.first { $0["database_name"] == "shop" })
                #expect(shopItem["capacity"]?["size_bytes"]?.intValue.map(String.init) == expected.first)
                #expect(shopItem["instance"]?["uid"]?.stringValue == id)
                #expect(shopItem["instance"]?["instance_id"]?.intValue == instanceId)
                #expect(shopItem["instance"]?["host"] == "127.0.0.1")
                #expect(shopItem["instance"]?["db_type"] == "postgresql")
                #expect(shopItem["freshness"] == "fresh")
                #expect(shopItem["tags"]?.arrayValue?.map { $0["name"] } == ["env:prod", "team:core"])
                #expect(shopItem["capacity"]?["size_mb"] != nil)
                // Filters: tags (repeated or comma list), search, db_type.
                #expect(try await client.send(.get, "/api/v1/databases/ledgers?tags=env:prod&tags=nope", auth: auth).json["data"]?["total"] == 4)
                #expect(try await client.send(.get, "/api/v1/databases/ledgers?tags=nope,team", auth: auth).json["data"]?["total"] == 4)
                #expect(try await client.send(.get, "/api/v1/databases/ledgers?tags=env:dev", auth: auth).json["data"]?["total"] == 0)
                #expect(try await client.send(.get, "/api/v1/databases/ledgers?search=SHO", auth: auth).json["data"]?["total"] == 1)
                #expect(try await client.send(.get, "/api/v1/databases/ledgers?db_type=mysql", auth: auth).json["data"]?["total"] == 0)
                let clamped = try await client.send(.get, "/api/v1/databases/ledgers?limit=5000&page=x", auth: auth)
                #expect(clamped.json["data"]?["limit"] == 200)
                #expect(clamped.json["data"]?["page"] == 1)
                #expect(try await client.send(.get, "/api/v1/databases/ledgers?instance_id=abc", auth: auth).status == .badRequest)

                let options = try await client.send(.get, "/api/v1/databases/options?instance_id=\(instanceId)", auth: auth)
                #expect(options.json["data"]?["total_count"] == 4)
                #expect(options.json["data"]?["limit"] == 100)
                #expect(try await client.send(.get, "/api/v1/databases/options", auth: auth).status == .badRequest)

                let sizes = try await client.send(.get, "/api/v1/databases/sizes?instance_id=\(instanceId)&latest_only=true", auth: auth)
                #expect(sizes.json["data"]?["total"] == 4)
                #expect(sizes.json["data"]?["limit"] == 100)
                #expect(try await client.send(.get, "/api/v1/databases/sizes", auth: auth).status == .badRequest)
                #expect(try await client.send(.get, "/api/v1/databases/sizes?instance_id=\(instanceId)&start_date=2026-13-01", auth: auth).status == .badRequest)
                #expect(try await client.send(.get, "/api/v1/databases/sizes?instance_id=\(instanceId)&latest_only=maybe", auth: auth).status == .badRequest)
                // Viewers read; collecting is for `update`.
                #expect(try await client.send(.post, "/api/v1/databases/ledgers/actions/sync-all", auth: auth).status == .forbidden)

                // Table sizes: refresh collects, a vanished table is deleted, the snapshot is served.
                let shopId = try #require(shopItem["database_id"]?.intValue)
                let admin = Auth.session(try await client.adminSession())
                let refreshed = try await client.send(.post, "/api/v1/databases/\(shopId)/tables/sizes/actions/refresh", auth: admin)
                #expect(refreshed.status == .ok)
                #expect(refreshed.json["data"]?["saved_count"] == 2)
                #expect(refreshed.json["data"]?["deleted_count"] == 0)
                #expect(refreshed.json["data"]?["elapsed_ms"]?.intValue != nil)
                #expect(refreshed.json["data"]?["tables"]?.arrayFirst?["table_name"] == "orders")
                #expect((refreshed.json["data"]?["tables"]?.arrayFirst?["row_count"]?.intValue ?? 0) > 15_000)
                #expect((refreshed.json["data"]?["tables"]?.arrayFirst?["index_bytes"]?.intValue ?? 0) > 0)
                _ = try await L.query(shop, "DROP TABLE gone; SELECT 'ok'")
                let again = try await client.send(.post, "/api/v1/databases/\(shopId)/tables/sizes/actions/refresh", auth: admin)
                #expect(again.json["data"]?["deleted_count"] == 1)
                let listed = try await client.send(.get, "/api/v1/databases/\(shopId)/tables/sizes?limit=9999", auth: auth)
                #expect(listed.json["data"]?["total"] == 1)
                #expect(listed.json["data"]?["limit"] == 2000)
                #expect(try await client.send(.get, "/api/v1/databases/999999/tables/sizes", auth: auth).status == .notFound)
            }

            // A dropped database is deactivated (history kept); when it returns it is reactivated with its id.
            _ = try await L.query(admin, "DROP DATABASE analytics; SELECT 'ok'")
            _ = try await Self.syncAll(fixture)
            let (afterDrop, analyticsId) = try await fixture.harness.test { client in
                let auth = Auth.session(try await client.adminSession())
                let ledger = try await client.send(.get, "/api/v1/databases/ledgers?instance_id=\(instanceId)", auth: auth)
                let history = try await client.send(.get, "/api/v1/databases/sizes?instance_id=\(instanceId)&include_inactive=true&database_name=analytics", auth: auth)
                return (ledger.json["data"]?["total"], history.json["data"]?["databases"]?.arrayFirst?["database_id"]?.intValue)
            }
            #expect(afterDrop == 3)
            _ = try await L.query(admin, "CREATE DATABASE analytics; SELECT 'ok'")
            _ = try await Self.syncAll(fixture)
            let returned = try await fixture.services.store.read { db in
                try await db.raw("SELECT database_id, is_active FROM instance_databases WHERE name = 'analytics'").all()
                    .map { (try $0.int64("database_id"), try $0.bool("is_active")) }
            }
            #expect(returned.count == 1)
            #expect(returned.first?.0 == analyticsId && returned.first?.1 == true)

            // Refresh against a server that is down: 409 DATABASE_CONNECTION_ERROR, snapshot untouched.
            _ = try await fixture.services.makeReconciler().stopAll(only: id)
            try await fixture.harness.test { client in
                let auth = Auth.session(try await client.adminSession())
                let shopId = try await fixture.services.store.read { db in
                    try await db.raw("SELECT database_id FROM instance_databases WHERE name = 'shop'").first()?.int64("database_id")
                }
                let failed = try await client.send(.post, "/api/v1/databases/\(shopId!)/tables/sizes/actions/refresh", auth: auth)
                #expect(failed.status == .conflict)
                #expect(failed.errorCode == "DATABASE_CONNECTION_ERROR")
                #expect(try await client.send(.get, "/api/v1/databases/\(shopId!)/tables/sizes", auth: auth).json["data"]?["total"] == 1)
            }
        }
    }
}
