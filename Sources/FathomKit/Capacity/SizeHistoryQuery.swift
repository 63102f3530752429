import Foundation
import SQLKit

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
        let page = OffsetPageQuery(
            columns: """
                d.database_id, d.name, d.instance_id, d.is_active, s.sample_date, s.size_bytes, s.data_bytes, s.log_bytes,
                s.collected_at
                """,
            from: "database_size_samples s JOIN instance_databases d ON d.database_id = s.database_id",
            filter: conditions.joined(separator: " AND "), orderBy: "s.sample_date DESC, d.name")
        return try await store.read { db in
            try await page.run(on: db, limit: limit, offset: offset) { row in
                Item(
                    database_id: try row.int64("database_id"), database_name: try row.string("name"),
                    instance_id: try row.int64("instance_id"), is_active: try row.bool("is_active"),
                    sample_date: try row.string("sample_date"), size_bytes: try row.int64("size_bytes"),
                    size_mb: SizeFormat.megabytes(try row.int64("size_bytes")), data_bytes: try row.optionalInt64("data_bytes"),
                    log_bytes: try row.optionalInt64("log_bytes"), collected_at: Timestamp.iso8601(millis: try row.int64("collected_at")))
            }
        }
    }
}
