import Foundation
import SQLKit

/// Reads capacity figures for `/api/v1/capacity/*`: daily rows straight from the samples, other periods from the
/// aggregates; changes, growth and trend are computed here from each row and its predecessor.
struct CapacityQuery {
    enum Subject { case database, instance }

    let subject: Subject
    let periodType: PeriodType
    /// Conditions that pick whole instances (`i`): their totals come from the maintained counts.
    let instanceConditions: [SQLQueryString]
    /// Conditions on databases (`d`).
    let databaseConditions: [SQLQueryString]
    /// The date range, on periods.
    let start: String?
    let end: String?
    /// Conditions on rows (`r`) or databases (`d`): their totals are counted.
    var rowConditions: [SQLQueryString] {
        databaseConditions + [start.map { "r.period_end >= \(bind: $0)" }, end.map { "r.period_start <= \(bind: $0)" }].compactMap { $0 }
    }

    /// Reads and validates the filters the contract lists for the subject.
    init(_ subject: Subject, query: QueryParameters, today: String) throws {
        self.subject = subject
        if let raw = query.string("period_type") {
            guard let type = PeriodType(rawValue: raw.lowercased()) else {
                throw AppError.invalid(field: "period_type", issue: "invalid", "period_type must be daily, weekly, monthly or quarterly")
            }
            periodType = type
        } else {
            periodType = .daily
        }
        var start = try query.day("start_date")
        let end = try query.day("end_date")
        if let startDay = start, let end, startDay > end {
            throw AppError.invalid(field: "start_date", issue: "invalid", "start_date must not be after end_date")
        }
        if subject == .instance, start == nil, end == nil, let days = try query.int("time_range") {
            start = PeriodMath.text(PeriodMath.utc.date(byAdding: .day, value: -Int(min(days, 36_500)), to: PeriodMath.date(today))!)
        }
        var instanceConditions: [SQLQueryString] = ["i.state <> 'DELETED'"]
        if let scoped = TenantScopeQuery.condition(query.scope) { instanceConditions.append(scoped) }
        if let id = try query.int("instance_id") { instanceConditions.append("i.instance_id = \(bind: id)") }
        if let type = query.string("db_type"), type.lowercased() != "all" { instanceConditions.append("i.engine = \(bind: type.lowercased())") }
        self.instanceConditions = instanceConditions
        var conditions: [SQLQueryString] = []
        if subject == .database {
            if let id = try query.int("database_id") { conditions.append("d.database_id = \(bind: id)") }
            if let name = query.string("database_name") { conditions.append("LOWER(d.name) LIKE \(bind: "%" + name.lowercased() + "%")") }
        }
        databaseConditions = conditions
        self.start = start
        self.end = end
    }

    /// The row source as `r` with uniform columns, joined to its database and instance.
    private var source: SQLQueryString {
        switch (subject, periodType) {
        case (.database, .daily):
            return """
                (SELECT s.database_id AS owner, s.sample_date AS period_start, s.sample_date AS period_end,
                        s.size_bytes AS avg_size, s.size_bytes AS max_size, s.size_bytes AS min_size, 1 AS n,
                        0 AS avg_count, 0 AS max_count, s.collected_at AS calculated_at
                 FROM database_size_samples s) r
                JOIN instance_databases d ON d.database_id = r.owner JOIN instances i ON i.instance_id = d.instance_id
                """
        case (.database, _):
            return """
                (SELECT database_id AS owner, period_start, period_end, avg_size_bytes AS avg_size, max_size_bytes AS max_size,
                        min_size_bytes AS min_size, data_count AS n, 0 AS avg_count, 0 AS max_count, calculated_at
                 FROM database_aggregations WHERE period_type = \(bind: periodType.rawValue)) r
                JOIN instance_databases d ON d.database_id = r.owner JOIN instances i ON i.instance_id = d.instance_id
                """
        case (.instance, .daily):
            return """
                (SELECT s.instance_id AS owner, s.sample_date AS period_start, s.sample_date AS period_end,
                        s.total_bytes AS avg_size, s.total_bytes AS max_size, s.total_bytes AS min_size, 1 AS n,
                        s.database_count AS avg_count, s.database_count AS max_count, s.collected_at AS calculated_at
                 FROM instance_size_samples s) r
                JOIN instances i ON i.instance_id = r.owner
                """
        case (.instance, _):
            return """
                (SELECT instance_id AS owner, period_start, period_end, avg_size_bytes AS avg_size, max_size_bytes AS max_size,
                        min_size_bytes AS min_size, data_count AS n, avg_database_count AS avg_count,
                        max_database_count AS max_count, calculated_at
                 FROM instance_aggregations WHERE period_type = \(bind: periodType.rawValue)) r
                JOIN instances i ON i.instance_id = r.owner
                """
        }
    }

    /// What a row is compared with, looked up by key for the rows of a page only (`page` is the row): the previous
    /// period's average (the sample before, for days) and the period's first and last sample.
    private var neighbours: SQLQueryString {
        let (samples, key, value, aggregates) = tables
        let previous: SQLQueryString = periodType == .daily
            ? """
                (SELECT p.\(unsafeRaw: value) FROM \(unsafeRaw: samples) p WHERE p.\(unsafeRaw: key) = page.owner
                 AND p.sample_date < page.period_start ORDER BY p.sample_date DESC LIMIT 1)
                """
            : """
                (SELECT p.avg_size_bytes FROM \(unsafeRaw: aggregates) p WHERE p.period_type = \(bind: periodType.rawValue)
                 AND p.\(unsafeRaw: key) = page.owner AND p.period_start < page.period_start ORDER BY p.period_start DESC LIMIT 1)
                """
        let edge: (String) -> SQLQueryString = { order in
            """
            COALESCE((SELECT f.\(unsafeRaw: value) FROM \(unsafeRaw: samples) f WHERE f.\(unsafeRaw: key) = page.owner
                      AND f.sample_date >= page.period_start AND f.sample_date <= page.period_end
                      ORDER BY f.sample_date \(unsafeRaw: order) LIMIT 1), page.avg_size)
            """
        }
        let first: SQLQueryString = periodType == .daily ? "page.avg_size" : edge("ASC")
        let last: SQLQueryString = periodType == .daily ? "page.avg_size" : edge("DESC")
        var columns: SQLQueryString = "\(previous) AS previous_avg, \(first) AS first_size, \(last) AS last_size"
        if subject == .instance {
            // Database counts: the previous period's average and the period's smallest daily count.
            let previousCount: SQLQueryString = periodType == .daily
                ? """
                    (SELECT p.database_count FROM instance_size_samples p WHERE p.instance_id = page.owner
                     AND p.sample_date < page.period_start ORDER BY p.sample_date DESC LIMIT 1)
                    """
                : """
                    (SELECT p.avg_database_count FROM instance_aggregations p WHERE p.period_type = \(bind: periodType.rawValue)
                     AND p.instance_id = page.owner AND p.period_start < page.period_start ORDER BY p.period_start DESC LIMIT 1)
                    """
            columns += """
                , \(previousCount) AS previous_count,
                COALESCE((SELECT MIN(m.database_count) FROM instance_size_samples m WHERE m.instance_id = page.owner
                          AND m.sample_date >= page.period_start AND m.sample_date <= page.period_end), page.avg_count) AS min_count
                """
        } else {
            columns += ", NULL AS previous_count, 0 AS min_count"
        }
        return columns
    }

    private var names: SQLQueryString {
        subject == .database ? "d.name AS subject_name, d.database_id AS subject_id" : "i.name AS subject_name, i.instance_id AS subject_id"
    }

    private var filter: SQLQueryString { (instanceConditions + rowConditions).joined(separator: " AND ") }

    /// A page of rows, newest period first, then by subject id (newest first too, so one backward walk of the
    /// `…_page` index gives the order without a sort). The page is chosen first; neighbours are looked up for its
    /// rows only. The total is exact: summed from the maintained counts when only whole instances are filtered.
    func page(offset: Int, limit: Int, on db: any SQLDatabase) async throws -> (rows: [CapacityRow], total: Int) {
        // The total rides along as a scalar subquery (computed once per statement): one round trip per page, which
        // is what a page costs on PostgreSQL. Past the last page there is no row to carry it, so it is asked alone.
        let total: SQLQueryString = rowConditions.isEmpty
            ? CapacityCountStore.total(subject, periodType, instanceFilter: instanceConditions.joined(separator: " AND "))
            : "(SELECT COUNT(*) FROM \(source) WHERE \(filter))"
        let found = try await db.raw(
            """
            SELECT page.*, \(neighbours), \(total) AS total_rows FROM (
                SELECT \(names), i.instance_id, i.id AS instance_key, i.name AS instance_name, i.engine, r.owner, r.period_start,
                       r.period_end, r.avg_size, r.max_size, r.min_size, r.n, r.avg_count, r.max_count, r.calculated_at
                FROM \(source) WHERE \(filter)
                ORDER BY r.period_start DESC, r.owner DESC LIMIT \(bind: limit) OFFSET \(bind: offset)) page
            ORDER BY page.period_start DESC, page.owner DESC
            """
        ).all()
        guard let first = found.first else {
            return ([], try await db.raw("SELECT \(total) AS total_rows").first()?.int("total_rows") ?? 0)
        }
        return (try found.map(CapacityRow.init), try first.int("total_rows"))
    }

    /// For each subject, its newest and oldest row in the filtered range: summaries count every subject once.
    /// Without a date range every subject's edges are kept current (`capacity_summary_edges`) and only summed here.
    func summary(on db: any SQLDatabase) async throws -> CapacitySummary {
        guard start != nil || end != nil else { return try await summaryFromEdges(on: db) }
        return try await summaryInRange(on: db)
    }

    private func summaryFromEdges(on db: any SQLDatabase) async throws -> CapacitySummary {
        let join: SQLQueryString = subject == .database ? "JOIN instance_databases d ON d.database_id = e.owner" : ""
        let row = try await db.raw(
            """
            SELECT COUNT(*) AS owners, COUNT(DISTINCT e.instance_id) AS instances,
                   CAST(COALESCE(SUM(e.newest_size), 0) AS BIGINT) AS latest_total,
                   CAST(COALESCE(MAX(e.newest_size), 0) AS BIGINT) AS latest_max,
                   CAST(COALESCE(MIN(e.newest_size), 0) AS BIGINT) AS latest_min,
                   CAST(COALESCE(SUM(e.oldest_size), 0) AS BIGINT) AS earliest_total,
                   CAST(COALESCE(SUM(e.points), 0) AS BIGINT) AS points
            FROM capacity_summary_edges e JOIN instances i ON i.instance_id = e.instance_id \(join)
            WHERE e.subject = \(bind: subject == .database ? "database" : "instance") AND e.period_type = \(bind: periodType.rawValue)
              AND \((instanceConditions + databaseConditions).joined(separator: " AND "))
            """
        ).first()
        guard let row else { return CapacitySummary(periodType: periodType) }
        return CapacitySummary(
            periodType: periodType, count: try row.int("owners"), latestTotal: try row.int64("latest_total"),
            latestMax: try row.int64("latest_max"), latestMin: try row.int64("latest_min"),
            earliestTotal: try row.int64("earliest_total"), dataPoints: try row.int64("points"), instances: try row.int("instances"))
    }

    /// Each subject's first and last period in the range are found by key (an index's first and last entry in the
    /// range), not by grouping its history, and its sizes then read by key.
    private func summaryInRange(on db: any SQLDatabase) async throws -> CapacitySummary {
        let (samples, key, value, aggregates) = tables
        let type = periodType
        // The subject's own rows, as `x`, within the date range.
        var range: [SQLQueryString] = []
        if let start { range.append(type == .daily ? "x.sample_date >= \(bind: start)" : "x.period_end >= \(bind: start)") }
        if let end { range.append(type == .daily ? "x.sample_date <= \(bind: end)" : "x.period_start <= \(bind: end)") }
        let within: SQLQueryString = range.isEmpty ? "" : " AND \(range.joined(separator: " AND "))"
        let rows: SQLQueryString = type == .daily
            ? "FROM \(unsafeRaw: samples) x WHERE x.\(unsafeRaw: key) = o.owner\(within)"
            : """
                FROM \(unsafeRaw: aggregates) x WHERE x.period_type = \(bind: type.rawValue) AND x.\(unsafeRaw: key) = o.owner\(within)
                """
        let period = type == .daily ? "sample_date" : "period_start"
        let size: (String) -> SQLQueryString = { edge in
            type == .daily
                ? "(SELECT x.\(unsafeRaw: value) FROM \(unsafeRaw: samples) x WHERE x.\(unsafeRaw: key) = g.owner AND x.sample_date = g.\(unsafeRaw: edge))"
                : """
                    (SELECT x.avg_size_bytes FROM \(unsafeRaw: aggregates) x WHERE x.period_type = \(bind: type.rawValue)
                     AND x.\(unsafeRaw: key) = g.owner AND x.period_start = g.\(unsafeRaw: edge))
                    """
        }
        let owners: SQLQueryString = subject == .database
            ? "SELECT d.database_id AS owner, i.instance_id FROM instance_databases d JOIN instances i ON i.instance_id = d.instance_id"
            : "SELECT i.instance_id AS owner, i.instance_id FROM instances i"
        let ownerFilter = (instanceConditions + databaseConditions).joined(separator: " AND ")
        let found = try await db.raw(
            """
            SELECT g.owner, g.instance_id, \(size("oldest")) AS earliest, \(size("newest")) AS latest FROM (
                SELECT o.owner, o.instance_id, (SELECT MIN(x.\(unsafeRaw: period)) \(rows)) AS oldest,
                       (SELECT MAX(x.\(unsafeRaw: period)) \(rows)) AS newest
                FROM (\(owners) WHERE \(ownerFilter)) o) g
            WHERE g.oldest IS NOT NULL
            """
        ).all()
        var summary = CapacitySummary(periodType: periodType)
        var instances = Set<Int64>()
        for row in found {
            instances.insert(try row.int64("instance_id"))
            let latest = try row.int64("latest")
            summary.count += 1
            summary.latestTotal += latest
            summary.latestMax = summary.count == 1 ? latest : Swift.max(summary.latestMax, latest)
            summary.latestMin = summary.count == 1 ? latest : Swift.min(summary.latestMin, latest)
            summary.earliestTotal += try row.int64("earliest")
        }
        summary.instances = instances.count
        summary.dataPoints = try await db.raw(
            "SELECT CAST(COALESCE(SUM(r.n), 0) AS BIGINT) AS n FROM \(source) WHERE \(filter)").first()?.int64("n") ?? 0
        return summary
    }

    /// The subject's tables: its daily samples (and their size column) and its aggregates, keyed by `key`.
    private var tables: (samples: String, key: String, value: String, aggregates: String) {
        subject == .database
            ? ("database_size_samples", "database_id", "size_bytes", "database_aggregations")
            : ("instance_size_samples", "instance_id", "total_bytes", "instance_aggregations")
    }
}

/// One period of one database or instance.
struct CapacityRow: Sendable {
    var subjectId: Int64
    var subjectName: String
    var instanceId: Int64
    var instanceKey: String
    var instanceName: String
    var engine: String
    var periodStart: String
    var periodEnd: String
    var avg: Int64, max: Int64, min: Int64, count: Int, first: Int64, last: Int64
    var previous: Int64?
    var avgDatabaseCount: Int, maxDatabaseCount: Int, minDatabaseCount: Int
    var previousDatabaseCount: Int?
    var calculatedAt: Int64

    init(_ row: any SQLRow) throws {
        subjectId = try row.int64("subject_id")
        subjectName = try row.string("subject_name")
        instanceId = try row.int64("instance_id")
        instanceKey = try row.string("instance_key")
        instanceName = try row.string("instance_name")
        engine = try row.string("engine")
        periodStart = try row.string("period_start")
        periodEnd = try row.string("period_end")
        avg = try row.int64("avg_size")
        max = try row.int64("max_size")
        min = try row.int64("min_size")
        count = try row.int("n")
        first = try row.int64("first_size")
        last = try row.int64("last_size")
        previous = try row.optionalInt64("previous_avg")
        avgDatabaseCount = try row.int("avg_count")
        maxDatabaseCount = try row.int("max_count")
        minDatabaseCount = try row.int("min_count")
        previousDatabaseCount = try row.decode(column: "previous_count", as: Int?.self)
        calculatedAt = try row.int64("calculated_at")
    }
}

/// Growth and trend rules shared by rows and summaries.
enum Trend {
    /// Percent change from `from` to `to`, two decimals; nil when there is nothing to compare with.
    static func percent(from: Int64?, to: Int64) -> Double? {
        guard let from, from != 0 else { return nil }
        return (Double(to - from) / Double(from) * 10_000).rounded() / 100
    }

    /// Growth within the row's period: from its first to its last sample (for a day, the change from the day
    /// before, since a day has one sample).
    static func growth(_ row: CapacityRow, type: PeriodType) -> Double? {
        type == .daily ? percent(from: row.previous, to: row.avg) : percent(from: row.first, to: row.last)
    }

    /// More than half a percent either way is a direction; less is stable.
    static func direction(_ percent: Double?) -> String {
        guard let percent else { return "stable" }
        return percent > 0.5 ? "growing" : percent < -0.5 ? "shrinking" : "stable"
    }
}

/// What a summary reports over its subjects, each counted once: how many, their latest sizes (sum, largest,
/// smallest), the sum of their earliest sizes, the samples behind them and their distinct instances.
struct CapacitySummary: Sendable {
    var periodType: PeriodType
    var count = 0
    var latestTotal: Int64 = 0
    var latestMax: Int64 = 0
    var latestMin: Int64 = 0
    var earliestTotal: Int64 = 0
    var dataPoints: Int64 = 0
    var instances = 0
}
