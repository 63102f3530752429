@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Ledger pages found through the per-instance counts list every active database once, in the ledger's order, as
/// the counting path (a search) does; a change the collector or control plane makes shows on the next page read.
@Suite(.timeLimit(.minutes(5))) struct LedgerPagingTests {
    static func expectedOrder(_ services: AppServices, label: (String, String)? = nil) async throws -> [Int64] {
        try await services.store.read { db in
            let tag: SQLQueryString = label.map {
                "AND EXISTS (SELECT 1 FROM instance_labels l WHERE l.instance_id = i.instance_id AND l.key = \(bind: $0.0) AND l.value = \(bind: $0.1))"
            } ?? ""
            return try await db.raw(
                """
                SELECT d.database_id FROM instances i JOIN instance_databases d ON d.instance_id = i.instance_id
                WHERE d.is_active = \(bind: true) AND i.state <> 'DELETED' \(tag) ORDER BY i.name, i.instance_id, d.name
                """
            ).all().map { try $0.int64("database_id") }
        }
    }

    static func walk(_ client: any TestClientProtocol, _ auth: Auth, query: String, limit: Int) async throws -> (ids: [Int64], total: Int64) {
        var ids: [Int64] = []
        var total: Int64 = -1
        for page in 1... {
            let response = try await client.send(.get, "/api/v1/databases/ledgers?\(query)&page=\(page)&limit=\(limit)", auth: auth)
            #expect(response.status == .ok)
            total = response.json["data"]?["total"]?.intValue ?? -1
            guard case .array(let items) = response.json["data"]?["items"], !items.isEmpty else { break }
            ids += items.compactMap { $0["database_id"]?.intValue }
        }
        return (ids, total)
    }

    @Test(arguments: Backends.all)
    func pagesCoverTheLedgerOnceInOrder(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 6, databasesPerInstance: 9, days: 40)
            let all = try await Self.expectedOrder(harness.services)
            let prod = try await Self.expectedOrder(harness.services, label: ("env", "prod"))
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                for limit in [1, 4, 7, 200] {
                    let walked = try await Self.walk(client, admin, query: "db_type=all", limit: limit)
                    #expect(walked.ids == all, "limit \(limit)")
                    #expect(walked.total == Int64(all.count))
                }
                // A search goes the counting way; it must agree ("app_" is in every demo database's name).
                let searched = try await Self.walk(client, admin, query: "search=app_", limit: 5)
                #expect(searched.ids == all && searched.total == Int64(all.count))
                let tagged = try await Self.walk(client, admin, query: "tags=env:prod", limit: 4)
                #expect(tagged.ids == prod && tagged.total == Int64(prod.count))

                // A database that disappears at the next collection leaves the pages at once.
                let gone = all[2]
                let instanceId = try await harness.services.store.read { db in
                    try await db.raw("SELECT instance_id FROM instance_databases WHERE database_id = \(bind: gone)").first()!.int64("instance_id")
                }
                let remaining = try await harness.services.store.read { db in
                    try await db.raw(
                        "SELECT name, latest_size_bytes FROM instance_databases WHERE instance_id = \(bind: instanceId) AND is_active = \(bind: true) AND database_id <> \(bind: gone)"
                    ).all().map { PostgresCatalog.DatabaseSize(name: try $0.string("name"), bytes: try $0.optionalInt64("latest_size_bytes") ?? 0) }
                }
                try await harness.services.store.write { db in
                    try await InventoryStore.record(instanceId: instanceId, databases: remaining, day: "2030-01-01", now: 1, on: db)
                }
                harness.services.ledgerPositions.invalidate()  // what the collector does after recording
                let after = try await Self.walk(client, admin, query: "db_type=all", limit: 4)
                #expect(after.ids == all.filter { $0 != gone } && after.total == Int64(all.count - 1))
            }
        }
    }

    @Test(arguments: Backends.all)
    func renamingAnInstanceReordersThePages(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 3, databasesPerInstance: 5, days: 10)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let before = try await Self.walk(client, admin, query: "db_type=all", limit: 3)
                // Renaming the first instance to sort last moves its databases to the end.
                let first = try await harness.services.store.read { db in
                    try await db.raw("SELECT id, instance_id FROM instances ORDER BY name LIMIT 1").first()!
                }
                let key = try first.string("id")
                let renamed = try await client.send(
                    .patch, "/v1/projects/proj-demo/instances/\(key)", auth: admin, json: #"{"name":"zz-last"}"#)
                #expect(renamed.status == .ok || renamed.status == .accepted)
                let after = try await Self.walk(client, admin, query: "db_type=all", limit: 3)
                #expect(Set(after.ids) == Set(before.ids) && after.ids != before.ids)
                #expect(after.ids == (try await Self.expectedOrder(harness.services)))
            }
        }
    }
}
