import SQLKit

/// Row counts of the capacity lists per (subject, period type, instance) and the samples behind them, kept exact in the transactions that
/// change the rows: a page's `total` is then a sum over a few instances instead of a count of every sample.
///
/// Only filters that pick whole instances (state, tenant scope, `instance_id`, `db_type`) can be answered from
/// these counts; a date range or a database filter counts its rows (`CapacityQuery.page`).
enum CapacityCountStore {
    /// Migration 15: the counts table, filled from what is there.
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE capacity_row_counts (
                subject TEXT NOT NULL,
                period_type TEXT NOT NULL,
                instance_id BIGINT NOT NULL,
                row_count BIGINT NOT NULL,
                sample_count BIGINT NOT NULL,
                PRIMARY KEY (subject, period_type, instance_id))
            """,
            // Newest period first, then the subject: the order of a capacity page, walked from an index.
            "DROP INDEX database_size_samples_date",
            "CREATE INDEX database_size_samples_page ON database_size_samples (sample_date, database_id)",
            "CREATE INDEX instance_size_samples_page ON instance_size_samples (sample_date, instance_id)",
            "CREATE INDEX database_aggregations_page ON database_aggregations (period_type, period_start, database_id)",
            "CREATE INDEX instance_aggregations_page ON instance_aggregations (period_type, period_start, instance_id)",
            dailyDatabaseCounts(where: ""), dailyInstanceCounts(where: ""),
            aggregateDatabaseCounts(where: ""), aggregateInstanceCounts(where: ""),
        ]
    }

    private static func dailyDatabaseCounts(where condition: String) -> String {
        """
        INSERT INTO capacity_row_counts (subject, period_type, instance_id, row_count, sample_count)
        SELECT 'database', 'daily', d.instance_id, COUNT(*), COUNT(*) FROM instance_databases d
        JOIN database_size_samples s ON s.database_id = d.database_id \(condition) GROUP BY d.instance_id
        """
    }

    private static func dailyInstanceCounts(where condition: String) -> String {
        """
        INSERT INTO capacity_row_counts (subject, period_type, instance_id, row_count, sample_count)
        SELECT 'instance', 'daily', s.instance_id, COUNT(*), COUNT(*) FROM instance_size_samples s \(condition) GROUP BY s.instance_id
        """
    }

    private static func aggregateDatabaseCounts(where condition: String) -> String {
        """
        INSERT INTO capacity_row_counts (subject, period_type, instance_id, row_count, sample_count)
        SELECT 'database', a.period_type, d.instance_id, COUNT(*), SUM(a.data_count) FROM instance_databases d
        JOIN database_aggregations a ON a.database_id = d.database_id \(condition) GROUP BY a.period_type, d.instance_id
        """
    }

    private static func aggregateInstanceCounts(where condition: String) -> String {
        """
        INSERT INTO capacity_row_counts (subject, period_type, instance_id, row_count, sample_count)
        SELECT 'instance', a.period_type, a.instance_id, COUNT(*), SUM(a.data_count) FROM instance_aggregations a \(condition)
        GROUP BY a.period_type, a.instance_id
        """
    }

    /// Recounts one instance's daily rows (its samples changed: a collection, the demo seed).
    static func recountSamples(instanceId: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM capacity_row_counts WHERE period_type = 'daily' AND instance_id = \(bind: instanceId)").run()
        // The statements are fixed text; the id is the only value and is an integer.
        try await db.raw(SQLQueryString(dailyDatabaseCounts(where: "WHERE d.instance_id = \(instanceId)"))).run()
        try await db.raw(SQLQueryString(dailyInstanceCounts(where: "WHERE s.instance_id = \(instanceId)"))).run()
    }

    /// Recounts one period type's aggregate rows of a subject for every instance (a rebuild replaced them).
    static func recountAggregates(_ subject: CapacityQuery.Subject, _ type: PeriodType, on db: any SQLDatabase) async throws {
        let name = subject == .database ? "database" : "instance"
        try await db.raw(
            "DELETE FROM capacity_row_counts WHERE subject = \(bind: name) AND period_type = \(bind: type.rawValue)").run()
        let condition = "WHERE a.period_type = '\(type.rawValue)'"  // an enum's fixed spelling, not input
        let statement = subject == .database ? aggregateDatabaseCounts(where: condition) : aggregateInstanceCounts(where: condition)
        try await db.raw(SQLQueryString(statement)).run()
    }

    /// Forgets removed instances' counts.
    static func forget(instanceIds: [Int64], on db: any SQLDatabase) async throws {
        guard !instanceIds.isEmpty else { return }
        try await db.raw("DELETE FROM capacity_row_counts WHERE instance_id IN (\(binds: instanceIds))").run()
    }

    /// The number of rows of the instances matching `instanceFilter` (a condition on `i`, the instances table).
    static func total(
        _ subject: CapacityQuery.Subject, _ type: PeriodType, instanceFilter: SQLQueryString, on db: any SQLDatabase
    ) async throws -> Int {
        Int(try await sum("row_count", subject, type, instanceFilter: instanceFilter, on: db))
    }

    /// The number of daily samples behind those rows (a summary's `data_points`).
    static func samples(
        _ subject: CapacityQuery.Subject, _ type: PeriodType, instanceFilter: SQLQueryString, on db: any SQLDatabase
    ) async throws -> Int64 {
        try await sum("sample_count", subject, type, instanceFilter: instanceFilter, on: db)
    }

    private static func sum(
        _ column: String, _ subject: CapacityQuery.Subject, _ type: PeriodType, instanceFilter: SQLQueryString,
        on db: any SQLDatabase
    ) async throws -> Int64 {
        try await db.raw(
            """
            SELECT CAST(COALESCE(SUM(c.\(unsafeRaw: column)), 0) AS BIGINT) AS n FROM capacity_row_counts c
            JOIN instances i ON i.instance_id = c.instance_id
            WHERE c.subject = \(bind: subject == .database ? "database" : "instance") AND c.period_type = \(bind: type.rawValue)
              AND \(instanceFilter)
            """
        ).first()?.int64("n") ?? 0
    }
}
