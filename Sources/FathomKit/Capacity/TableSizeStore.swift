import SQLKit

/// SQL for `table_size_snapshots`: the last collected size of every table of a tracked database.
struct TableSizeStore: Sendable {
    let store: Store

    /// A tracked database, as the table-size endpoints name it.
    struct DatabaseRef: Sendable {
        var id: Int64
        var name: String
        var instanceId: Int64
    }

    /// A table's sizes as last collected.
    struct Row: Sendable {
        var size: PostgresCatalog.TableSize
        var collectedAt: Int64
    }

    func database(_ id: Int64) async throws -> DatabaseRef? {
        try await store.read { db in
            try await db.raw("SELECT database_id, name, instance_id FROM instance_databases WHERE database_id = \(bind: id)").first()
                .map { DatabaseRef(id: try $0.int64("database_id"), name: try $0.string("name"), instanceId: try $0.int64("instance_id")) }
        }
    }

    /// Largest tables first; `schema` matches exactly, `tableContains` case-insensitively.
    func page(
        databaseId: Int64, schema: String?, tableContains: String?, offset: Int, limit: Int
    ) async throws -> (items: [Row], total: Int, collectedAt: Int64?) {
        var conditions: [SQLQueryString] = ["database_id = \(bind: databaseId)"]
        if let schema { conditions.append("schema_name = \(bind: schema)") }
        if let tableContains { conditions.append("LOWER(table_name) LIKE \(bind: "%" + tableContains.lowercased() + "%")") }
        let query = OffsetPageQuery(
            columns: "schema_name, table_name, total_bytes, data_bytes, index_bytes, row_estimate, collected_at",
            from: "table_size_snapshots", filter: conditions.joined(separator: " AND "),
            orderBy: "total_bytes DESC, schema_name, table_name")
        return try await store.read { db in
            let collected = try await db.raw(
                "SELECT MAX(collected_at) AS at FROM table_size_snapshots WHERE database_id = \(bind: databaseId)"
            ).first()?.optionalInt64("at")
            let (items, total) = try await query.run(on: db, limit: limit, offset: offset) { row in
                Row(
                    size: PostgresCatalog.TableSize(
                        schema: try row.string("schema_name"), table: try row.string("table_name"),
                        totalBytes: try row.int64("total_bytes"), dataBytes: try row.int64("data_bytes"),
                        indexBytes: try row.int64("index_bytes"), rowEstimate: try row.int64("row_estimate")),
                    collectedAt: try row.int64("collected_at"))
            }
            return (items, total, collected)
        }
    }

    /// Upserts the collected tables and deletes those that vanished; an empty collection deletes nothing.
    func save(databaseId: Int64, tables: [PostgresCatalog.TableSize], now: Int64) async throws -> (saved: Int, deleted: Int) {
        try await store.write { db in
            for table in tables {
                try await db.raw(
                    """
                    INSERT INTO table_size_snapshots (database_id, schema_name, table_name, total_bytes, data_bytes, index_bytes,
                                                      row_estimate, collected_at)
                    VALUES (\(bind: databaseId), \(bind: table.schema), \(bind: table.table), \(bind: table.totalBytes),
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
                "SELECT schema_name, table_name FROM table_size_snapshots WHERE database_id = \(bind: databaseId)"
            ).all() {
                let schema = try row.string("schema_name")
                let table = try row.string("table_name")
                guard !collected.contains("\(schema)\u{0}\(table)") else { continue }
                try await db.raw(
                    """
                    DELETE FROM table_size_snapshots
                    WHERE database_id = \(bind: databaseId) AND schema_name = \(bind: schema) AND table_name = \(bind: table)
                    """
                ).run()
                deleted += 1
            }
            return (tables.count, deleted)
        }
    }
}
