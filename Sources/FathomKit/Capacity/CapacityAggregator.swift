import Foundation
import SQLKit

/// Computes weekly, monthly and quarterly aggregates in SQL (one INSERT … SELECT per period type and scope), with
/// the previous period's average beside each row so changes and trends are computed at read time.
public struct CapacityAggregator: Sendable {
    let store: Store
    let clock: WallClock
    let calendar: BusinessCalendar

    public enum Scope: String, Sendable, CaseIterable {
        case instance, database, all
    }

    /// Re-aggregates the periods of `type` that contain `from` or come later (all periods when `from` is nil).
    /// Daily figures need no aggregation: they are the samples.
    @discardableResult
    public func aggregate(_ type: PeriodType, from: String? = nil, scope: Scope = .all) async throws -> (databases: Int, instances: Int) {
        guard type != .daily else { return (0, 0) }
        let firstPeriod = from.map { PeriodMath.start(of: $0, type) }
        // Samples from one period earlier, so the first recomputed period still sees its predecessor.
        let sampleFrom = firstPeriod.map { PeriodMath.previousStart($0, type) } ?? "0000-01-01"
        let keep = firstPeriod ?? "0000-01-01"
        let now = clock.millis()
        let backend = store.backend
        return try await store.write { db in
            var databases = 0
            var instances = 0
            if scope != .instance {
                databases = try await Self.upsert(
                    type, backend: backend, table: "database_aggregations", key: "database_id", source: "database_size_samples",
                    value: "size_bytes", extra: nil, sampleFrom: sampleFrom, keep: keep, now: now, on: db)
            }
            if scope != .database {
                instances = try await Self.upsert(
                    type, backend: backend, table: "instance_aggregations", key: "instance_id", source: "instance_size_samples",
                    value: "total_bytes", extra: "database_count", sampleFrom: sampleFrom, keep: keep, now: now, on: db)
            }
            return (databases, instances)
        }
    }

    /// The earliest sample day collected since the last aggregation ("" when nothing was ever aggregated, nil
    /// when nothing is new): where the next run has to start.
    public func earliestChangedDay() async throws -> String? {
        try await store.read { db in
            let last = try await db.raw(
                """
                SELECT MAX(calculated_at) AS t FROM (SELECT calculated_at FROM database_aggregations
                UNION ALL SELECT calculated_at FROM instance_aggregations) a
                """
            ).first()?.optionalInt64("t")
            guard let last else { return "" }
            let row = try await db.raw(
                """
                SELECT MIN(sample_date) AS d FROM (
                    SELECT sample_date FROM database_size_samples WHERE collected_at > \(bind: last)
                    UNION ALL SELECT sample_date FROM instance_size_samples WHERE collected_at > \(bind: last)) s
                """
            ).first()
            return try row?.optionalString("d")
        }
    }

    /// Re-aggregates every period type (what the daily 04:00 run and a full rebuild do).
    public func aggregateAll(from: String? = nil, scope: Scope = .all) async throws -> (databases: Int, instances: Int) {
        var total = (databases: 0, instances: 0)
        for type in PeriodType.allCases where type != .daily {
            let counts = try await aggregate(type, from: from, scope: scope)
            total.databases += counts.databases
            total.instances += counts.instances
        }
        return total
    }

    static func upsert(
        _ type: PeriodType, backend: Store.Backend, table: String, key: String, source: String, value: String,
        extra: String?, sampleFrom: String, keep: String, now: Int64, on db: any SQLDatabase
    ) async throws -> Int {
        let (start, end) = type.bounds("s.sample_date", backend: backend)
        let extraColumns = extra.map { ", CAST(ROUND(AVG(s.\($0))) AS BIGINT) AS avg_extra, MAX(s.\($0)) AS max_extra" } ?? ""
        let extraInsert = extra == nil ? "" : ", avg_database_count, max_database_count"
        let extraSelect = extra == nil ? "" : ", r.avg_extra, r.max_extra"
        let extraUpdate = extra == nil ? "" : ", avg_database_count = excluded.avg_database_count, max_database_count = excluded.max_database_count"
        let sql = """
            WITH grouped AS (
                SELECT s.\(key) AS owner, \(start) AS period_start, \(end) AS period_end,
                       CAST(ROUND(AVG(s.\(value))) AS BIGINT) AS avg_size, MAX(s.\(value)) AS max_size, MIN(s.\(value)) AS min_size,
                       COUNT(*) AS n, MIN(s.sample_date) AS first_date, MAX(s.sample_date) AS last_date\(extraColumns)
                FROM \(source) s WHERE s.sample_date >= $SAMPLE_FROM
                GROUP BY s.\(key), \(start), \(end)
            ), ranked AS (
                SELECT g.*, LAG(g.avg_size) OVER (PARTITION BY g.owner ORDER BY g.period_start) AS previous_avg FROM grouped g
            )
            INSERT INTO \(table) (\(key), period_type, period_start, period_end, avg_size_bytes, max_size_bytes, min_size_bytes,
                                  data_count, first_size_bytes, last_size_bytes, previous_avg_bytes\(extraInsert), calculated_at)
            SELECT r.owner, '\(type.rawValue)', r.period_start, r.period_end, r.avg_size, r.max_size, r.min_size, r.n,
                   f.\(value), l.\(value), r.previous_avg\(extraSelect), $NOW
            FROM ranked r
            JOIN \(source) f ON f.\(key) = r.owner AND f.sample_date = r.first_date
            JOIN \(source) l ON l.\(key) = r.owner AND l.sample_date = r.last_date
            WHERE r.period_start >= $KEEP
            ON CONFLICT (\(key), period_type, period_start) DO UPDATE SET period_end = excluded.period_end,
                avg_size_bytes = excluded.avg_size_bytes, max_size_bytes = excluded.max_size_bytes,
                min_size_bytes = excluded.min_size_bytes, data_count = excluded.data_count,
                first_size_bytes = excluded.first_size_bytes, last_size_bytes = excluded.last_size_bytes,
                previous_avg_bytes = excluded.previous_avg_bytes\(extraUpdate), calculated_at = excluded.calculated_at
            """
        // The three values are bound; everything interpolated above is a fixed identifier or expression.
        let parts = sql.components(separatedBy: "$SAMPLE_FROM")
        let second = parts[1].components(separatedBy: "$NOW")
        let third = second[1].components(separatedBy: "$KEEP")
        let query: SQLQueryString = "\(unsafeRaw: parts[0])\(bind: sampleFrom)\(unsafeRaw: second[0])\(bind: now)\(unsafeRaw: third[0])\(bind: keep)\(unsafeRaw: third[1])"
        try await db.raw(query).run()
        return try await db.raw(
            "SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE period_type = \(bind: type.rawValue) AND calculated_at = \(bind: now)"
        ).first()?.int("n") ?? 0
    }
}

/// Period arithmetic on `YYYY-MM-DD` days (weeks start on Monday), matching the SQL in `PeriodType.bounds`.
enum PeriodMath {
    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        calendar.firstWeekday = 2
        return calendar
    }

    static func date(_ day: String) -> Date {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        return utc.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) ?? Date(timeIntervalSince1970: 0)
    }

    static func text(_ date: Date) -> String {
        let parts = utc.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    static func start(of day: String, _ type: PeriodType) -> String {
        let date = date(day)
        let parts = utc.dateComponents([.year, .month, .weekday], from: date)
        switch type {
        case .daily: return day
        case .weekly: return text(utc.date(byAdding: .day, value: -((parts.weekday! + 5) % 7), to: date)!)
        case .monthly: return String(format: "%04d-%02d-01", parts.year!, parts.month!)
        case .quarterly: return String(format: "%04d-%02d-01", parts.year!, (parts.month! - 1) / 3 * 3 + 1)
        }
    }

    static func previousStart(_ start: String, _ type: PeriodType) -> String {
        let component: (Calendar.Component, Int) = {
            switch type {
            case .daily: return (.day, -1)
            case .weekly: return (.day, -7)
            case .monthly: return (.month, -1)
            case .quarterly: return (.month, -3)
            }
        }()
        return text(utc.date(byAdding: component.0, value: component.1, to: date(start))!)
    }
}
