import SQLKit

/// SQL of `fathom demo seed`: the demo project, its databases and their size history, written in bulk.
enum DemoStore {
    static func ensureProject(_ id: String, name: String = "demo", now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO projects (id, name, description, quota_instances, quota_storage_gb, created_at, updated_at)
            VALUES (\(bind: id), \(bind: name), 'Seeded by fathom demo seed', 100000, 100000000, \(bind: now), \(bind: now))
            ON CONFLICT (id) DO NOTHING
            """
        ).run()
    }

    /// A tracked database; one that is no longer active was deleted `now`.
    static func insertDatabase(
        instanceId: Int64, name: String, active: Bool, firstSeen: String, lastSeen: String, now: Int64, on db: any SQLDatabase
    ) async throws -> Int64 {
        try await db.raw(
            """
            INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, deleted_at,
                                            created_at, updated_at)
            VALUES (\(bind: instanceId), \(bind: name), \(bind: active), \(bind: firstSeen), \(bind: lastSeen),
                    \(bind: active ? nil : now), \(bind: now), \(bind: now))
            RETURNING database_id
            """
        ).first()!.int64("database_id")
    }

    /// One multi-row insert of (database_id, day index, bytes) samples.
    static func insertDatabaseSamples(
        _ rows: ArraySlice<(Int64, Int, Int64)>, days: [String], now: Int64, on db: any SQLDatabase
    ) async throws {
        var sql: SQLQueryString = "INSERT INTO database_size_samples (database_id, sample_date, size_bytes, data_bytes, collected_at) VALUES "
        sql += rows.map { row -> SQLQueryString in
            "(\(bind: row.0), \(bind: days[row.1]), \(bind: row.2), \(bind: row.2), \(bind: now))"
        }.joined(separator: ", ")
        try await db.raw(sql).run()
    }

    /// An instance's daily totals, 400 days per statement.
    static func insertInstanceSamples(
        instanceId: Int64, days: [String], totals: [Int64], counts: [Int], now: Int64, on db: any SQLDatabase
    ) async throws {
        for chunk in stride(from: 0, to: days.count, by: 400) {
            let range = chunk..<min(days.count, chunk + 400)
            var sql: SQLQueryString = "INSERT INTO instance_size_samples (instance_id, sample_date, total_bytes, database_count, collected_at) VALUES "
            sql += range.map { day -> SQLQueryString in
                "(\(bind: instanceId), \(bind: days[day]), \(bind: totals[day]), \(bind: counts[day]), \(bind: now))"
            }.joined(separator: ", ")
            try await db.raw(sql).run()
        }
    }

    /// The latest size of each of the instance's databases, from its newest sample.
    static func refreshLatestSizes(instanceId: Int64, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE instance_databases SET latest_collected_at = \(bind: now), latest_size_bytes = (
                SELECT s.size_bytes FROM database_size_samples s WHERE s.database_id = instance_databases.database_id
                ORDER BY s.sample_date DESC LIMIT 1)
            WHERE instance_id = \(bind: instanceId)
            """
        ).run()
    }

    /// Removes every demo instance (provider `demo`) and everything recorded about it, then the demo project if it
    /// is empty; real instances and their history are untouched. Returns how many instances were removed.
    static func clear(on db: any SQLDatabase) async throws -> Int {
        let ids = try await db.raw("SELECT instance_id, id FROM instances WHERE provider = 'demo'").all()
            .map { (number: try $0.int64("instance_id"), key: try $0.string("id")) }
        guard !ids.isEmpty else { return 0 }
        let numbers = ids.map(\.number)
        let keys = ids.map(\.key)
        let databases: SQLQueryString = "SELECT database_id FROM instance_databases WHERE instance_id IN (\(binds: numbers))"
        for table in ["table_size_snapshots", "database_aggregations", "database_size_samples"] {
            try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE database_id IN (\(databases))").run()
        }
        for table in ["instance_databases", "instance_aggregations", "instance_size_samples", "instance_labels"] {
            try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE instance_id IN (\(binds: numbers))").run()
        }
        for table in ["managed_databases", "database_users", "backups"] {
            try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE instance_id IN (\(binds: keys))").run()
        }
        try await CapacityCountStore.forget(instanceIds: numbers, on: db)
        try await db.raw("DELETE FROM instances WHERE provider = 'demo'").run()
        try await db.raw(
            """
            DELETE FROM projects WHERE id = 'proj-demo' AND NOT EXISTS (SELECT 1 FROM instances WHERE project_id = 'proj-demo')
            """
        ).run()
        return ids.count
    }
}
