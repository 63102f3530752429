import Foundation
import SQLKit

/// `/api/v1/databases/sizes`: samples of one instance's databases, newest first, or only the latest per database.
struct SizeHistoryQuery {
    let store: Store
    let query: QueryParameters

    /// One sample: the reference's fields, then Fathom's (`*_bytes`, `sample_date`).
    struct Item: Encodable {
        var id: Int64
        var database_name: String
        var size_mb: Double
        @ExplicitNull var data_size_mb: Double?
        @ExplicitNull var log_size_mb: Double?
        var collected_date: String
        var collected_at: String
        var is_active: Bool
        @ExplicitNull var deleted_at: String?
        var last_seen_date: String
        var database_id: Int64
        var instance_id: Int64
        var sample_date: String
        var size_bytes: Int64
        var data_bytes: Int64?
        var log_bytes: Int64?
    }

    /// The page, and with `latest_only` the totals the reference adds (active databases of the instance, rows
    /// matching the filter, their summed size).
    struct Result: Encodable {
        var databases: [Item]
        var total: Int
        var page: Int
        var pages: Int
        var limit: Int
        var active_count: Int?
        var filtered_count: Int?
        var total_size_mb: Double?
        var total_size_bytes: Int64?
    }

    func page(_ page: PageRequest) async throws -> Result {
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
        let from: SQLQueryString = "database_size_samples s JOIN instance_databases d ON d.database_id = s.database_id"
        let filter = conditions.joined(separator: " AND ")
        let pageQuery = OffsetPageQuery(
            columns: """
                d.database_id, d.name, d.instance_id, d.is_active, d.deleted_at, d.last_seen_date, s.sample_date, s.size_bytes,
                s.data_bytes, s.log_bytes, s.collected_at
                """,
            from: from, filter: filter, orderBy: "s.sample_date DESC, d.name")
        return try await store.read { db in
            guard try await InventoryStore.instanceExists(instanceId, on: db) else {
                throw AppError(.notFound, "Instance \(instanceId) not found")
            }
            let (items, total) = try await pageQuery.run(on: db, limit: page.size, offset: page.offset, decode: Self.item)
            var result = Result(
                databases: items, total: total, page: page.page, pages: PageCount.pages(total: total, limit: page.size),
                limit: page.size)
            if latestOnly {
                let sums = try await db.raw("SELECT CAST(COALESCE(SUM(s.size_bytes), 0) AS BIGINT) AS bytes FROM \(from) WHERE \(filter)").first()
                let bytes = try sums?.int64("bytes") ?? 0
                result.active_count = try await db.raw(
                    "SELECT COUNT(*) AS n FROM instance_databases WHERE instance_id = \(bind: instanceId) AND is_active = \(bind: true)"
                ).first()?.int("n") ?? 0
                result.filtered_count = total
                result.total_size_bytes = bytes
                result.total_size_mb = SizeFormat.megabytes(bytes)
            }
            return result
        }
    }

    static func item(_ row: any SQLRow) throws -> Item {
        let size = try row.int64("size_bytes")
        let data = try row.optionalInt64("data_bytes")
        let log = try row.optionalInt64("log_bytes")
        let day = try row.string("sample_date")
        return Item(
            id: try row.int64("database_id"), database_name: try row.string("name"), size_mb: SizeFormat.megabytes(size),
            data_size_mb: data.map(SizeFormat.megabytes), log_size_mb: log.map(SizeFormat.megabytes), collected_date: day,
            collected_at: Timestamp.iso8601(millis: try row.int64("collected_at")), is_active: try row.bool("is_active"),
            deleted_at: try row.optionalInt64("deleted_at").map(Timestamp.iso8601(millis:)),
            last_seen_date: try row.string("last_seen_date"), database_id: try row.int64("database_id"),
            instance_id: try row.int64("instance_id"), sample_date: day, size_bytes: size, data_bytes: data, log_bytes: log)
    }
}
