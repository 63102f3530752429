import SQLKit

/// Row counts of the capacity lists per (subject, period type, instance), and each subject's first and last row
/// (`SummaryEdges`), kept exact in the transactions that change the rows: a page's `total` is then a sum over a few
/// instances instead of a count of every sample.
///
/// Only filters that pick whole instances (state, tenant scope, `instance_id`, `db_type`) can be answered from
/// these counts; a date range or a database filter counts its rows (`CapacityQuery.page`).
enum CapacityCountStore {
    /// Migration 15: the counts and edges tables, filled from what is there, and the page indexes.
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE capacity_row_counts (
                subject TEXT NOT NULL,
                period_type TEXT NOT NULL,
                instance_id BIGINT NOT NULL,
                row_count BIGINT NOT NULL,
                PRIMARY KEY (subject, period_type, instance_id))
            """,
            // Newest period first, then the subject: the order of a capacity page, walked from an index.
            "DROP INDEX database_size_samples_date",
            "CREATE INDEX database_size_samples_page ON database_size_samples (sample_date, database_id)",
            "CREATE INDEX instance_size_samples_page ON instance_size_samples (sample_date, instance_id)",
            "CREATE INDEX database_aggregations_page ON database_aggregations (period_type, period_start, database_id)",
            "CREATE INDEX instance_aggregations_page ON instance_aggregations (period_type, period_start, instance_id)",
            // Each subject's first and last row (and the samples behind its rows) per period type: what a summary
            // without a date range reads, instead of every subject's history.
            """
            CREATE TABLE capacity_summary_edges (
                subject TEXT NOT NULL,
                period_type TEXT NOT NULL,
                owner BIGINT NOT NULL,
                instance_id BIGINT NOT NULL,
                oldest TEXT NOT NULL,
                newest TEXT NOT NULL,
                oldest_size BIGINT NOT NULL,
                newest_size BIGINT NOT NULL,
                points BIGINT NOT NULL,
                PRIMARY KEY (subject, period_type, owner))
            """,
            "CREATE INDEX capacity_summary_edges_instance ON capacity_summary_edges (instance_id)",
        ] + (RowCounts.all + SummaryEdges.all).map(\.text)
    }

    /// Recounts one instance's daily rows (its samples changed: a collection, the demo seed).
    static func recountSamples(instanceId: Int64, on db: any SQLDatabase) async throws {
        for table in ["capacity_row_counts", "capacity_summary_edges"] {
            try await db.raw(
                "DELETE FROM \(unsafeRaw: table) WHERE period_type = 'daily' AND instance_id = \(bind: instanceId)").run()
        }
        for rebuild in [RowCounts.dailyDatabases, SummaryEdges.dailyDatabases] {
            try await db.raw(rebuild.sql(where: "d.instance_id = \(bind: instanceId)")).run()
        }
        for rebuild in [RowCounts.dailyInstances, SummaryEdges.dailyInstances] {
            try await db.raw(rebuild.sql(where: "s.instance_id = \(bind: instanceId)")).run()
        }
    }

    /// Recounts one period type's aggregate rows of a subject for every instance (a rebuild replaced them).
    static func recountAggregates(_ subject: CapacityQuery.Subject, _ type: PeriodType, on db: any SQLDatabase) async throws {
        let name = subject == .database ? "database" : "instance"
        for table in ["capacity_row_counts", "capacity_summary_edges"] {
            try await db.raw(
                "DELETE FROM \(unsafeRaw: table) WHERE subject = \(bind: name) AND period_type = \(bind: type.rawValue)").run()
        }
        let rebuilds = subject == .database
            ? [RowCounts.aggregateDatabases, SummaryEdges.aggregateDatabases]
            : [RowCounts.aggregateInstances, SummaryEdges.aggregateInstances]
        for rebuild in rebuilds {
            try await db.raw(rebuild.sql(where: "a.period_type = \(bind: type.rawValue)")).run()
        }
    }

    /// Forgets removed instances' counts.
    static func forget(instanceIds: [Int64], on db: any SQLDatabase) async throws {
        guard !instanceIds.isEmpty else { return }
        try await db.raw("DELETE FROM capacity_row_counts WHERE instance_id IN (\(binds: instanceIds))").run()
        try await db.raw("DELETE FROM capacity_summary_edges WHERE instance_id IN (\(binds: instanceIds))").run()
    }

    /// The number of rows of the instances matching `instanceFilter` (a condition on `i`, the instances table), as
    /// a scalar subquery: a page reads its total in the same statement as its rows.
    static func total(_ subject: CapacityQuery.Subject, _ type: PeriodType, instanceFilter: SQLQueryString) -> SQLQueryString {
        """
        (SELECT CAST(COALESCE(SUM(c.row_count), 0) AS BIGINT) FROM capacity_row_counts c
         JOIN instances i ON i.instance_id = c.instance_id
         WHERE c.subject = \(bind: subject == .database ? "database" : "instance") AND c.period_type = \(bind: type.rawValue)
           AND \(instanceFilter))
        """
    }
}

/// An `INSERT … SELECT` that rebuilds rows of a maintained table, cut where its filter goes: run whole by the
/// migration, or for some rows with a bound condition.
struct Rebuild: Sendable {
    let head: String
    let tail: String

    var text: String { head + " " + tail }

    func sql(where condition: SQLQueryString) -> SQLQueryString { "\(unsafeRaw: head) WHERE \(condition) \(unsafeRaw: tail)" }
}

/// The rebuilds of `capacity_row_counts`: rows per (subject, period type, instance).
enum RowCounts {
    private static let insert = "INSERT INTO capacity_row_counts (subject, period_type, instance_id, row_count)"

    static let dailyDatabases = Rebuild(
        head: """
            \(insert) SELECT 'database', 'daily', d.instance_id, COUNT(*) FROM instance_databases d
            JOIN database_size_samples s ON s.database_id = d.database_id
            """,
        tail: "GROUP BY d.instance_id")
    static let dailyInstances = Rebuild(
        head: "\(insert) SELECT 'instance', 'daily', s.instance_id, COUNT(*) FROM instance_size_samples s",
        tail: "GROUP BY s.instance_id")
    static let aggregateDatabases = Rebuild(
        head: """
            \(insert) SELECT 'database', a.period_type, d.instance_id, COUNT(*) FROM instance_databases d
            JOIN database_aggregations a ON a.database_id = d.database_id
            """,
        tail: "GROUP BY a.period_type, d.instance_id")
    static let aggregateInstances = Rebuild(
        head: "\(insert) SELECT 'instance', a.period_type, a.instance_id, COUNT(*) FROM instance_aggregations a",
        tail: "GROUP BY a.period_type, a.instance_id")

    static let all = [dailyDatabases, dailyInstances, aggregateDatabases, aggregateInstances]
}

/// The rebuilds of `capacity_summary_edges`: per subject, its first and last period with their sizes, grouped from
/// its rows (`grouped` yields `owner, instance_id, [period_type,] oldest, newest, points`), the sizes then read by key
/// (`size` with `%EDGE%` for `oldest` or `newest`).
enum SummaryEdges {
    private static func rebuild(subject: String, periodType: String, grouped: String, groupBy: String, size: String) -> Rebuild {
        Rebuild(
            head: """
                INSERT INTO capacity_summary_edges (subject, period_type, owner, instance_id, oldest, newest, oldest_size,
                    newest_size, points)
                SELECT '\(subject)', \(periodType), g.owner, g.instance_id, g.oldest, g.newest,
                       \(size.replacingOccurrences(of: "%EDGE%", with: "oldest")), \(size.replacingOccurrences(of: "%EDGE%", with: "newest")),
                       g.points
                FROM (\(grouped)
                """,
            tail: "\(groupBy)) g")
    }

    static let dailyDatabases = rebuild(
        subject: "database", periodType: "'daily'",
        grouped: """
            SELECT d.database_id AS owner, d.instance_id, MIN(s.sample_date) AS oldest, MAX(s.sample_date) AS newest,
                   COUNT(*) AS points
            FROM instance_databases d JOIN database_size_samples s ON s.database_id = d.database_id
            """,
        groupBy: "GROUP BY d.database_id, d.instance_id",
        size: "(SELECT x.size_bytes FROM database_size_samples x WHERE x.database_id = g.owner AND x.sample_date = g.%EDGE%)")
    static let dailyInstances = rebuild(
        subject: "instance", periodType: "'daily'",
        grouped: """
            SELECT s.instance_id AS owner, s.instance_id, MIN(s.sample_date) AS oldest, MAX(s.sample_date) AS newest,
                   COUNT(*) AS points
            FROM instance_size_samples s
            """,
        groupBy: "GROUP BY s.instance_id",
        size: "(SELECT x.total_bytes FROM instance_size_samples x WHERE x.instance_id = g.owner AND x.sample_date = g.%EDGE%)")
    static let aggregateDatabases = rebuild(
        subject: "database", periodType: "g.period_type",
        grouped: """
            SELECT a.database_id AS owner, d.instance_id, a.period_type, MIN(a.period_start) AS oldest,
                   MAX(a.period_start) AS newest, SUM(a.data_count) AS points
            FROM database_aggregations a JOIN instance_databases d ON d.database_id = a.database_id
            """,
        groupBy: "GROUP BY a.period_type, a.database_id, d.instance_id",
        size: """
            (SELECT x.avg_size_bytes FROM database_aggregations x WHERE x.period_type = g.period_type
             AND x.database_id = g.owner AND x.period_start = g.%EDGE%)
            """)
    static let aggregateInstances = rebuild(
        subject: "instance", periodType: "g.period_type",
        grouped: """
            SELECT a.instance_id AS owner, a.instance_id, a.period_type, MIN(a.period_start) AS oldest,
                   MAX(a.period_start) AS newest, SUM(a.data_count) AS points
            FROM instance_aggregations a
            """,
        groupBy: "GROUP BY a.period_type, a.instance_id",
        size: """
            (SELECT x.avg_size_bytes FROM instance_aggregations x WHERE x.period_type = g.period_type
             AND x.instance_id = g.owner AND x.period_start = g.%EDGE%)
            """)

    static let all = [dailyDatabases, dailyInstances, aggregateDatabases, aggregateInstances]
}
