import Foundation
import Hummingbird
import SQLKit

/// `/api/v1/databases/*` (databases contract): the ledger, collection, per-instance sizes and options, table sizes.
struct DatabaseRoutes {
    let services: AppServices

    func register(on routes: Routes) {
        let ledgerQuery: [(String, JSONValue)] = [
            ("search", Schemas.string), ("db_type", Schemas.string), ("instance_id", Schemas.integer),
            ("tags", ["type": "array", "items": Schemas.string]), ("page", Schemas.integer), ("limit", Schemas.integer),
        ]
        routes.add(
            RouteSpec(.get, "/api/v1/databases/ledgers", access: .scoped(.view), tag: "databases",
                summary: "Database ledger: every active database with its instance, latest size, freshness and tags", query: ledgerQuery)
        ) { request, context in
            let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 20, maxSize: 200)
            let (items, total) = try await LedgerQuery(services: services, query: QueryParameters(uri: request.uri, scope: context.tenantScope))
                .page(offset: page.offset, limit: page.size)
            return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
        }

        routes.add(
            RouteSpec(.post, "/api/v1/databases/ledgers/actions/sync-all", access: .scoped(.update), tag: "databases",
                summary: "Collect the inventory and sizes of every instance now (a task run)")
        ) { _, context in
            let id = try await CapacityJobs.enqueueCollect(services, scope: context.tenantScope)
            return try context.envelope(["run_id": id])
        }

        routes.add(
            RouteSpec(.get, "/api/v1/databases/options", access: .scoped(.view), tag: "databases",
                summary: "Databases of an instance, for pickers", query: [("instance_id", Schemas.integer), ("page", Schemas.integer), ("limit", Schemas.integer)])
        ) { request, context in
            let query = QueryParameters(uri: request.uri)
            let instanceId = try query.requiredInt("instance_id")
            try await TenantScopeQuery.require(context.tenantScope, instanceId: instanceId, store: services.store)
            let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 100, maxSize: 1000)
            let (items, total) = try await services.store.read { db in
                let total = try await db.raw(
                    "SELECT COUNT(*) AS n FROM instance_databases WHERE instance_id = \(bind: instanceId) AND is_active = \(bind: true)"
                ).first()?.int("n") ?? 0
                let rows = try await db.raw(
                    """
                    SELECT database_id, name FROM instance_databases WHERE instance_id = \(bind: instanceId) AND is_active = \(bind: true)
                    ORDER BY name LIMIT \(bind: page.size) OFFSET \(bind: page.offset)
                    """
                ).all()
                let items: [[String: JSONValue]] = try rows.map {
                    ["database_id": .int(try $0.int64("database_id")), "database_name": .string(try $0.string("name"))]
                }
                return (items, total)
            }
            return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
        }

        routes.add(
            RouteSpec(.get, "/api/v1/databases/sizes", access: .scoped(.view), tag: "databases",
                summary: "Size history (or latest sizes) of an instance's databases",
                query: [
                    ("instance_id", Schemas.integer), ("start_date", Schemas.string), ("end_date", Schemas.string),
                    ("database_name", Schemas.string), ("latest_only", Schemas.boolean), ("include_inactive", Schemas.boolean),
                    ("page", Schemas.integer), ("limit", Schemas.integer),
                ])
        ) { request, context in
            let query = QueryParameters(uri: request.uri, scope: context.tenantScope)
            let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 100, maxSize: 1000)
            let (items, total) = try await SizeHistoryQuery(store: services.store, query: query).page(offset: page.offset, limit: page.size)
            return try context.envelope(ItemsPage(items: items, total: total, page: page.page, limit: page.size))
        }

        routes.add(
            RouteSpec(.get, "/api/v1/databases/ledgers/exports", access: .scoped(.view), tag: "databases",
                summary: "The ledger as CSV (same filters; streamed; tags as repeated keys or a comma list)",
                query: Array(ledgerQuery.prefix(4)))
        ) { request, context in
            try LedgerExport(query: LedgerQuery(services: services, query: QueryParameters(uri: request.uri, scope: context.tenantScope)), clock: services.clock).response()
        }

        TableSizeRoutes(services: services).register(on: routes)
    }
}

/// `/api/v1/databases/sizes`: samples of one instance's databases, newest first, or only the latest per database.
struct SizeHistoryQuery {
    let store: Store
    let query: QueryParameters

    struct Item: Encodable {
        var database_id: Int64
        var database_name: String
        var instance_id: Int64
        var is_active: Bool
        var sample_date: String
        var size_bytes: Int64
        var size_mb: Double
        var data_bytes: Int64?
        var log_bytes: Int64?
        var collected_at: String
    }

    func page(offset: Int, limit: Int) async throws -> ([Item], Int) {
        let instanceId = try query.requiredInt("instance_id")
        try await TenantScopeQuery.require(query.scope, instanceId: instanceId, store: store)
        let start = try query.day("start_date")
        let end = try query.day("end_date")
        if let start, let end, start > end {
            throw AppError.invalid(field: "start_date", issue: "invalid", "start_date must not be after end_date")
        }
        let latestOnly = try query.bool("latest_only", default: false)
        let includeInactive = try query.bool("include_inactive", default: false)
        var conditions: [SQLQueryString] = ["d.instance_id = \(bind: instanceId)"]
        if !includeInactive { conditions.append("d.is_active = \(bind: true)") }
        if let name = query.string("database_name") { conditions.append("LOWER(d.name) LIKE \(bind: "%" + name.lowercased() + "%")") }
        if let start { conditions.append("s.sample_date >= \(bind: start)") }
        if let end { conditions.append("s.sample_date <= \(bind: end)") }
        if latestOnly {
            var latest: SQLQueryString = "SELECT MAX(s2.sample_date) FROM database_size_samples s2 WHERE s2.database_id = d.database_id"
            if let start { latest += " AND s2.sample_date >= \(bind: start)" as SQLQueryString }
            if let end { latest += " AND s2.sample_date <= \(bind: end)" as SQLQueryString }
            conditions.append("s.sample_date = (\(latest))")
        }
        let filter = conditions.joined(separator: " AND ")
        return try await store.read { db in
            let total = try await db.raw(
                "SELECT COUNT(*) AS n FROM database_size_samples s JOIN instance_databases d ON d.database_id = s.database_id WHERE \(filter)"
            ).first()?.int("n") ?? 0
            let rows = try await db.raw(
                """
                SELECT d.database_id, d.name, d.instance_id, d.is_active, s.sample_date, s.size_bytes, s.data_bytes, s.log_bytes,
                       s.collected_at
                FROM database_size_samples s JOIN instance_databases d ON d.database_id = s.database_id
                WHERE \(filter) ORDER BY s.sample_date DESC, d.name LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all()
            let items = try rows.map { row in
                Item(
                    database_id: try row.int64("database_id"), database_name: try row.string("name"),
                    instance_id: try row.int64("instance_id"), is_active: try row.bool("is_active"),
                    sample_date: try row.string("sample_date"), size_bytes: try row.int64("size_bytes"),
                    size_mb: SizeFormat.megabytes(try row.int64("size_bytes")), data_bytes: try row.optionalInt64("data_bytes"),
                    log_bytes: try row.optionalInt64("log_bytes"), collected_at: Timestamp.iso8601(millis: try row.int64("collected_at")))
            }
            return (items, total)
        }
    }
}
