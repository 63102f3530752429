import SQLKit

/// SQL for the capacity forecast: the daily samples of every live instance (or tracked database) in a window,
/// with the instance's storage limit.
struct ForecastStore: Sendable {
    let store: Store

    /// One daily sample of a subject (an instance, or a database of one).
    struct Sample: Sendable {
        var subjectId: Int64
        var subjectName: String
        var instanceId: Int64
        var instanceKey: String
        var instanceName: String
        var engine: String
        var storageGB: Int
        var day: String
        var bytes: Int64
    }

    /// Filters the forecast accepts (the capacity contract's `instance_id`, `db_type`, `database_name`).
    struct Filter: Sendable {
        var instanceId: Int64?
        var dbType: String?
        var databaseName: String?
    }

    func instanceSamples(from start: String, to end: String, _ filter: Filter) async throws -> [Sample] {
        var conditions: [SQLQueryString] = ["i.state <> 'DELETED'", "s.sample_date >= \(bind: start)", "s.sample_date <= \(bind: end)"]
        conditions += common(filter)
        let sql: SQLQueryString = """
            SELECT i.instance_id AS subject_id, i.name AS subject_name, i.instance_id, i.id AS instance_key, i.name AS instance_name,
                   i.engine, i.storage_gb, s.sample_date, s.total_bytes AS bytes
            FROM instance_size_samples s JOIN instances i ON i.instance_id = s.instance_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY i.instance_id, s.sample_date
            """
        return try await read(sql)
    }

    func databaseSamples(from start: String, to end: String, _ filter: Filter) async throws -> [Sample] {
        var conditions: [SQLQueryString] = [
            "i.state <> 'DELETED'", "d.is_active = \(bind: true)", "s.sample_date >= \(bind: start)", "s.sample_date <= \(bind: end)",
        ]
        conditions += common(filter)
        if let name = filter.databaseName { conditions.append("LOWER(d.name) LIKE \(bind: "%" + name.lowercased() + "%")") }
        let sql: SQLQueryString = """
            SELECT d.database_id AS subject_id, d.name AS subject_name, i.instance_id, i.id AS instance_key, i.name AS instance_name,
                   i.engine, i.storage_gb, s.sample_date, s.size_bytes AS bytes
            FROM database_size_samples s JOIN instance_databases d ON d.database_id = s.database_id
                 JOIN instances i ON i.instance_id = d.instance_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY d.database_id, s.sample_date
            """
        return try await read(sql)
    }

    private func common(_ filter: Filter) -> [SQLQueryString] {
        var conditions: [SQLQueryString] = []
        if let id = filter.instanceId { conditions.append("i.instance_id = \(bind: id)") }
        if let type = filter.dbType { conditions.append("i.engine = \(bind: type)") }
        return conditions
    }

    private func read(_ sql: SQLQueryString) async throws -> [Sample] {
        try await store.read { db in
            try await db.raw(sql).all().map { row in
                Sample(
                    subjectId: try row.int64("subject_id"), subjectName: try row.string("subject_name"),
                    instanceId: try row.int64("instance_id"), instanceKey: try row.string("instance_key"),
                    instanceName: try row.string("instance_name"), engine: try row.string("engine"),
                    storageGB: try row.int("storage_gb"), day: try row.string("sample_date"), bytes: try row.int64("bytes"))
            }
        }
    }
}
