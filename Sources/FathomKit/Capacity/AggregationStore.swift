import Foundation
import SQLKit

/// SQL of the capacity aggregation: what is aggregated per scope, the calendar of periods it walks, and the
/// rebuild of one period type's aggregates.
///
/// Why it is shaped this way: grouping millions of samples by a date expression makes the database sort them all.
/// Instead each statement walks owners × periods (a small calendar table, a few hundred rows for years of
/// history) and reads each owner's samples of a period as one primary-key range, so the groups come out in key
/// order, sorted by nothing, and are appended to the aggregate table in its own key order.
enum AggregationStore {
    /// What is aggregated for one scope: the owners, their daily samples and where the aggregates go.
    struct Target: Sendable {
        let table: String
        let key: String
        let owners: String
        let source: String
        let value: String
        let extra: String?
        let subject: CapacityQuery.Subject

        static let databases = Target(
            table: "database_aggregations", key: "database_id", owners: "instance_databases", source: "database_size_samples",
            value: "size_bytes", extra: nil, subject: .database)
        static let instances = Target(
            table: "instance_aggregations", key: "instance_id", owners: "instances", source: "instance_size_samples",
            value: "total_bytes", extra: "database_count", subject: .instance)
    }

    /// The earliest sample day collected since the last aggregation ("" when nothing was ever aggregated, nil
    /// when nothing is new).
    static func earliestChangedDay(on db: any SQLDatabase) async throws -> String? {
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

    /// Replaces the target's `type` aggregates of the periods starting on `from` or later with ones computed from
    /// the samples (a period without samples any more loses its row); returns how many rows were written.
    static func rebuild(
        _ target: Target, _ type: PeriodType, from: String, now: Int64, backend: Store.Backend, on db: any SQLDatabase
    ) async throws -> Int {
        try await db.raw(
            "DELETE FROM \(unsafeRaw: target.table) WHERE period_type = \(bind: type.rawValue) AND period_start >= \(bind: from)"
        ).run()
        let span = try await db.raw(
            """
            SELECT MIN(sample_date) AS first, MAX(sample_date) AS last FROM \(unsafeRaw: target.source)
            WHERE sample_date >= \(bind: from)
            """
        ).first()
        guard let first = try span?.optionalString("first"), let last = try span?.optionalString("last") else {
            try await CapacityCountStore.recountAggregates(target.subject, type, on: db)
            return 0
        }
        try await ensurePeriods(type, from: first, through: last, on: db)

        let key = target.key, value = target.value
        let extraColumns = target.extra.map { ", CAST(ROUND(AVG(s.\($0))) AS BIGINT), MAX(s.\($0))" } ?? ""
        let extraInsert = target.extra == nil ? "" : ", avg_database_count, max_database_count"
        // SQLite's CROSS JOIN fixes the loop order (owners, then periods, then the sample range); PostgreSQL plans it.
        let join = backend == .sqlite ? "CROSS JOIN" : "JOIN"
        try await db.raw(
            """
            INSERT INTO \(unsafeRaw: target.table) (\(unsafeRaw: key), period_type, period_start, period_end, avg_size_bytes,
                max_size_bytes, min_size_bytes, data_count\(unsafeRaw: extraInsert), calculated_at)
            SELECT o.\(unsafeRaw: key), \(bind: type.rawValue), p.period_start, p.period_end,
                   CAST(ROUND(AVG(s.\(unsafeRaw: value))) AS BIGINT), MAX(s.\(unsafeRaw: value)), MIN(s.\(unsafeRaw: value)),
                   COUNT(*)\(unsafeRaw: extraColumns), \(bind: now)
            FROM \(unsafeRaw: target.owners) o CROSS JOIN capacity_periods p
            \(unsafeRaw: join) \(unsafeRaw: target.source) s
                ON s.\(unsafeRaw: key) = o.\(unsafeRaw: key) AND s.sample_date >= p.period_start AND s.sample_date <= p.period_end
            WHERE p.period_type = \(bind: type.rawValue) AND p.period_start >= \(bind: from)
            GROUP BY o.\(unsafeRaw: key), p.period_start, p.period_end
            """
        ).run()
        try await CapacityCountStore.recountAggregates(target.subject, type, on: db)
        return try await db.raw(
            """
            SELECT COUNT(*) AS n FROM \(unsafeRaw: target.table)
            WHERE period_type = \(bind: type.rawValue) AND period_start >= \(bind: from)
            """
        ).first()?.int("n") ?? 0
    }

    /// Adds the `type` periods from the one containing `first` through the one containing `last` that are missing.
    static func ensurePeriods(_ type: PeriodType, from first: String, through last: String, on db: any SQLDatabase) async throws {
        var periods: [(start: String, end: String)] = []
        var start = PeriodMath.start(of: first, type)
        while start <= last {
            let next = PeriodMath.nextStart(start, type)
            periods.append((start, PeriodMath.dayBefore(next)))
            start = next
        }
        for chunk in stride(from: 0, to: periods.count, by: 300) {
            let rows = periods[chunk..<min(periods.count, chunk + 300)].map { period -> SQLQueryString in
                "(\(bind: type.rawValue), \(bind: period.start), \(bind: period.end))"
            }
            try await db.raw(
                """
                INSERT INTO capacity_periods (period_type, period_start, period_end) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (period_type, period_start) DO NOTHING
                """
            ).run()
        }
    }
}
