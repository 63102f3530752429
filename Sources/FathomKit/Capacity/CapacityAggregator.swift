import Foundation
import SQLKit

/// Computes weekly, monthly and quarterly aggregates in SQL: avg/max/min and the sample count per period. What
/// depends on neighbours (the previous period, the first and last sample) is looked up for the rows a reader asks
/// for (see `CapacityQuery`), so a rebuild is one pass per period type.
///
/// Why it is shaped this way: grouping millions of samples by a date expression makes the database sort them all.
/// Instead each statement walks owners × periods (a small calendar table) and reads each owner's samples of a
/// period as one primary-key range, so the groups come out in key order, sorted by nothing, and are appended to
/// the aggregate table in its own key order.
public struct CapacityAggregator: Sendable {
    let store: Store
    let clock: WallClock

    public enum Scope: String, Sendable, CaseIterable {
        case instance, database, all
    }

    /// What is aggregated for one scope: the owners, their daily samples and where the aggregates go.
    struct Target {
        let table: String
        let key: String
        let owners: String
        let source: String
        let value: String
        let extra: String?

        static let databases = Target(
            table: "database_aggregations", key: "database_id", owners: "instance_databases", source: "database_size_samples",
            value: "size_bytes", extra: nil)
        static let instances = Target(
            table: "instance_aggregations", key: "instance_id", owners: "instances", source: "instance_size_samples",
            value: "total_bytes", extra: "database_count")
    }

    /// Re-aggregates the periods of `type` that contain `from` or come later (all periods when `from` is nil).
    /// Daily figures need no aggregation: they are the samples.
    @discardableResult
    public func aggregate(_ type: PeriodType, from: String? = nil, scope: Scope = .all) async throws -> (databases: Int, instances: Int) {
        guard type != .daily else { return (0, 0) }
        let keep = from.map { PeriodMath.start(of: $0, type) } ?? "0000-01-01"
        let now = clock.millis()
        let backend = store.backend
        return try await store.write { db in
            var databases = 0
            var instances = 0
            if scope != .instance {
                databases = try await Self.rebuild(.databases, type, from: keep, now: now, backend: backend, on: db)
            }
            if scope != .database {
                instances = try await Self.rebuild(.instances, type, from: keep, now: now, backend: backend, on: db)
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
        guard let first = try span?.optionalString("first"), let last = try span?.optionalString("last") else { return 0 }
        try await CapacityPeriods.ensure(type, from: first, through: last, on: db)

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
        return try await db.raw(
            """
            SELECT COUNT(*) AS n FROM \(unsafeRaw: target.table)
            WHERE period_type = \(bind: type.rawValue) AND period_start >= \(bind: from)
            """
        ).first()?.int("n") ?? 0
    }
}

/// Period arithmetic on `YYYY-MM-DD` days (weeks start on Monday): the one definition of a period, from which
/// `CapacityPeriods` fills the calendar table the aggregation walks.
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
        return TextFormat.day(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    static func start(of day: String, _ type: PeriodType) -> String {
        let date = date(day)
        let parts = utc.dateComponents([.year, .month, .weekday], from: date)
        switch type {
        case .daily: return day
        case .weekly: return text(utc.date(byAdding: .day, value: -((parts.weekday! + 5) % 7), to: date)!)
        case .monthly: return TextFormat.day(year: parts.year!, month: parts.month!, day: 1)
        case .quarterly: return TextFormat.day(year: parts.year!, month: (parts.month! - 1) / 3 * 3 + 1, day: 1)
        }
    }

    /// The first day of the period after the one starting on `start`.
    static func nextStart(_ start: String, _ type: PeriodType) -> String {
        let step: (Calendar.Component, Int) = {
            switch type {
            case .daily: return (.day, 1)
            case .weekly: return (.day, 7)
            case .monthly: return (.month, 1)
            case .quarterly: return (.month, 3)
            }
        }()
        return text(utc.date(byAdding: step.0, value: step.1, to: date(start))!)
    }

    static func dayBefore(_ day: String) -> String { text(utc.date(byAdding: .day, value: -1, to: date(day))!) }
}
