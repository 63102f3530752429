import Foundation
import Hummingbird
import Logging
import SQLKit

/// `/api/v1/databases/{database_id}/tables/sizes` and its refresh action.
struct TableSizeRoutes {
    let services: AppServices

    struct Item: Encodable {
        var schema_name: String
        var table_name: String
        var total_bytes: Int64
        var total_mb: Double
        var data_bytes: Int64
        var index_bytes: Int64
        var row_estimate: Int64
        var collected_at: String
    }

    struct Snapshot: Encodable {
        var database_id: Int64
        var database_name: String
        var items: [Item]
        var total: Int
        var page: Int
        var limit: Int
        var saved_count: Int?
        var deleted_count: Int?
        var elapsed_ms: Int64?
    }

    func register(on routes: Routes) {
        let query: [(String, JSONValue)] = [
            ("schema_name", Schemas.string), ("table_name", Schemas.string), ("page", Schemas.integer), ("limit", Schemas.integer),
        ]
        routes.add(
            RouteSpec(.get, "/api/v1/databases/{database_id}/tables/sizes", access: .scoped(.view), tag: "databases",
                summary: "The last table-size snapshot of a database", query: query)
        ) { request, context in
            let database = try await database(context)
            return try context.envelope(try await snapshot(database, request: request))
        }

        routes.add(
            RouteSpec(.post, "/api/v1/databases/{database_id}/tables/sizes/actions/refresh", access: .scoped(.update),
                tag: "databases", summary: "Collect table sizes now and return the new snapshot", query: query)
        ) { request, context in
            let database = try await database(context)
            let started = ContinuousClock.now
            let (saved, deleted) = try await refresh(database)
            let elapsed = ContinuousClock.now - started
            var result = try await snapshot(database, request: request)
            result.saved_count = saved
            result.deleted_count = deleted
            result.elapsed_ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            return try context.envelope(result)
        }
    }

    struct DatabaseRef {
        var id: Int64
        var name: String
        var instanceId: Int64
    }

    private func database(_ context: AppRequestContext) async throws -> DatabaseRef {
        let raw = try context.parameters.require("database_id")
        guard let id = Int64(raw), let found = try await services.store.read({ db in
            try await db.raw("SELECT database_id, name, instance_id FROM instance_databases WHERE database_id = \(bind: id)").first()
                .map { DatabaseRef(id: try $0.int64("database_id"), name: try $0.string("name"), instanceId: try $0.int64("instance_id")) }
        }) else { throw AppError(.notFound, "Database '\(raw)' not found") }
        try await TenantScopeQuery.require(context.tenantScope, instanceId: found.instanceId, store: services.store)
        return found
    }

    private func snapshot(_ database: DatabaseRef, request: Request) async throws -> Snapshot {
        let query = QueryParameters(uri: request.uri)
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 200, maxSize: 2000)
        var conditions: [SQLQueryString] = ["database_id = \(bind: database.id)"]
        if let schema = query.string("schema_name") { conditions.append("schema_name = \(bind: schema)") }
        if let table = query.string("table_name") { conditions.append("LOWER(table_name) LIKE \(bind: "%" + table.lowercased() + "%")") }
        let filter = conditions.joined(separator: " AND ")
        return try await services.store.read { db in
            let total = try await db.raw("SELECT COUNT(*) AS n FROM table_size_snapshots WHERE \(filter)").first()?.int("n") ?? 0
            let items = try await db.raw(
                """
                SELECT schema_name, table_name, total_bytes, data_bytes, index_bytes, row_estimate, collected_at
                FROM table_size_snapshots WHERE \(filter)
                ORDER BY total_bytes DESC, schema_name, table_name LIMIT \(bind: page.size) OFFSET \(bind: page.offset)
                """
            ).all().map { row in
                Item(
                    schema_name: try row.string("schema_name"), table_name: try row.string("table_name"),
                    total_bytes: try row.int64("total_bytes"), total_mb: SizeFormat.megabytes(try row.int64("total_bytes")),
                    data_bytes: try row.int64("data_bytes"), index_bytes: try row.int64("index_bytes"),
                    row_estimate: try row.int64("row_estimate"), collected_at: Timestamp.iso8601(millis: try row.int64("collected_at")))
            }
            return Snapshot(database_id: database.id, database_name: database.name, items: items, total: total, page: page.page, limit: page.size)
        }
    }

    /// Connects to the database, upserts the snapshot and deletes tables that vanished. A failed or empty
    /// collection deletes nothing.
    private func refresh(_ database: DatabaseRef) async throws -> (saved: Int, deleted: Int) {
        let collector = services.capacity
        guard let instance = try await collector.measurableInstances(ids: [database.instanceId]).first else {
            throw AppError(.databaseConnectionError, "The instance of database \(database.id) is not reachable (deleted or not running)")
        }
        let target = try collector.target(instance, database: database.name)
        let logger = services.logger
        let tables = try await PostgresSession.with(target, logger: logger) { connection in
            do {
                return try await PostgresCatalog.tables(connection, logger: logger)
            } catch {
                throw AppError(.syncDataError, "Collecting table sizes failed: \(PostgresSession.describe(error))")
            }
        }
        let now = services.clock.millis()
        return try await services.store.write { db in
            for table in tables {
                try await db.raw(
                    """
                    INSERT INTO table_size_snapshots (database_id, schema_name, table_name, total_bytes, data_bytes, index_bytes,
                                                      row_estimate, collected_at)
                    VALUES (\(bind: database.id), \(bind: table.schema), \(bind: table.table), \(bind: table.totalBytes),
                            \(bind: table.dataBytes), \(bind: table.indexBytes), \(bind: table.rowEstimate), \(bind: now))
                    ON CONFLICT (database_id, schema_name, table_name) DO UPDATE SET total_bytes = excluded.total_bytes,
                        data_bytes = excluded.data_bytes, index_bytes = excluded.index_bytes,
                        row_estimate = excluded.row_estimate, collected_at = excluded.collected_at
                    """
                ).run()
            }
            guard !tables.isEmpty else { return (0, 0) }
            let collected = Set(tables.map { "\($0.schema)\u{0}\($0.table)" })
            var deleted = 0
            for row in try await db.raw(
                "SELECT schema_name, table_name FROM table_size_snapshots WHERE database_id = \(bind: database.id)"
            ).all() {
                let schema = try row.string("schema_name")
                let table = try row.string("table_name")
                guard !collected.contains("\(schema)\u{0}\(table)") else { continue }
                try await db.raw(
                    """
                    DELETE FROM table_size_snapshots
                    WHERE database_id = \(bind: database.id) AND schema_name = \(bind: schema) AND table_name = \(bind: table)
                    """
                ).run()
                deleted += 1
            }
            return (tables.count, deleted)
        }
    }
}
