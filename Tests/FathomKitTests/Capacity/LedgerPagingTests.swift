@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
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

    /// A page reads its instances' labels with its rows: every item's tags are its instance's labels, for an instance
    /// without labels and for labels whose text needs escaping too, and the same as the export's batches read them.
    @Test(arguments: Backends.all)
    func pageTagsAreTheInstanceLabels(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 3, databasesPerInstance: 4, days: 5)
            let ids = try await harness.services.store.read { db in
                try await db.raw("SELECT instance_id FROM instances ORDER BY instance_id").all().map { try $0.int64("instance_id") }
            }
            try await harness.services.store.write { db in
                try await db.raw("DELETE FROM instance_labels WHERE instance_id = \(bind: ids[0])").run()
                for (key, value) in [("note", #"a "quoted" \ value é 🙂"#), ("solo", ""), ("tab\tkey", "x:y")] {
                    try await db.raw(
                        "INSERT INTO instance_labels (instance_id, key, value) VALUES (\(bind: ids[1]), \(bind: key), \(bind: value))"
                    ).run()
                }
            }
            let labels = try await harness.services.store.read { db in
                var labels: [Int64: [String: String]] = [:]
                for row in try await db.raw("SELECT instance_id, key, value FROM instance_labels").all() {
                    labels[try row.int64("instance_id"), default: [:]][try row.string("key")] = try row.string("value")
                }
                return labels
            }
            #expect(labels[ids[0]] == nil && labels[ids[1]]?.count ?? 0 >= 3)
            let active = try await Self.expectedOrder(harness.services).count
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let response = try await client.send(.get, "/api/v1/databases/ledgers?page=1&limit=200", auth: admin)
                guard case .array(let items) = response.json["data"]?["items"] else { Issue.record("no items"); return }
                #expect(items.count == active && active > 0)
                for item in items {
                    let instanceId = try #require(item["instance"]?["instance_id"]?.intValue)
                    var tags: [String] = []
                    if case .array(let list)? = item["tags"] { tags = list.compactMap { $0["name"]?.stringValue } }
                    #expect(tags == InstanceTags.tags(labels[instanceId] ?? [:]), "instance \(instanceId)")
                }
                // The export reads labels its own way (per batch); both must show the same tags.
                let query = LedgerQuery(
                    source: .init(store: harness.services.store, clock: harness.services.clock, positions: LedgerPositions()),
                    query: QueryParameters(uri: URI("/api/v1/databases/ledgers"), scope: .fleet))
                let batch = try await query.batch(filter: try query.filter(), after: 0, limit: 200)
                let (page, _) = try await query.page(offset: 0, limit: 200)
                #expect(batch.count == active && page.count == active)
                let byId = Dictionary(uniqueKeysWithValues: batch.map { ($0.database_id, $0.tags.map(\.name)) })
                for item in page { #expect(byId[item.database_id] == item.tags.map(\.name)) }
            }
        }
    }
}

