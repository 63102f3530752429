/// Materialized weekly/monthly/quarterly aggregates (daily figures are read straight from the samples).
enum AggregationSchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE database_aggregations (
                database_id BIGINT NOT NULL,
                period_type TEXT NOT NULL,
                period_start TEXT NOT NULL,
                period_end TEXT NOT NULL,
                avg_size_bytes BIGINT NOT NULL,
                max_size_bytes BIGINT NOT NULL,
                min_size_bytes BIGINT NOT NULL,
                data_count INTEGER NOT NULL,
                first_size_bytes BIGINT NOT NULL,
                last_size_bytes BIGINT NOT NULL,
                previous_avg_bytes BIGINT,
                calculated_at BIGINT NOT NULL,
                PRIMARY KEY (database_id, period_type, period_start))
            """,
            "CREATE INDEX database_aggregations_period ON database_aggregations (period_type, period_start)",
            """
            CREATE TABLE instance_aggregations (
                instance_id BIGINT NOT NULL,
                period_type TEXT NOT NULL,
                period_start TEXT NOT NULL,
                period_end TEXT NOT NULL,
                avg_size_bytes BIGINT NOT NULL,
                max_size_bytes BIGINT NOT NULL,
                min_size_bytes BIGINT NOT NULL,
                data_count INTEGER NOT NULL,
                first_size_bytes BIGINT NOT NULL,
                last_size_bytes BIGINT NOT NULL,
                previous_avg_bytes BIGINT,
                avg_database_count INTEGER NOT NULL,
                max_database_count INTEGER NOT NULL,
                calculated_at BIGINT NOT NULL,
                PRIMARY KEY (instance_id, period_type, period_start))
            """,
            "CREATE INDEX instance_aggregations_period ON instance_aggregations (period_type, period_start)",
        ]
    }
}

extension AggregationSchema {
    /// Migration 8: the period calendar the aggregator walks; the ledger's covering index and per-instance counts; aggregates keyed (period type, owner, period start)
    /// with only what a period's own samples give (neighbours are looked up when read); and on SQLite, tables stored
    /// in key order, so one owner's samples of a period, and one owner's periods, are adjacent on disk whatever
    /// order they were written in.
    static func clustered(_ types: ColumnTypes) -> [String] {
        var statements = [
            """
            CREATE TABLE capacity_periods (
                period_type TEXT NOT NULL,
                period_start TEXT NOT NULL,
                period_end TEXT NOT NULL,
                PRIMARY KEY (period_type, period_start))\(types.clustered)
            """,
        ]
        for (table, key, extra) in [
            ("database_aggregations", "database_id", ""),
            ("instance_aggregations", "instance_id", ", avg_database_count, max_database_count"),
        ] {
            let extraColumns = extra.isEmpty ? "" : "avg_database_count INTEGER NOT NULL, max_database_count INTEGER NOT NULL,"
            let columns = "period_type, \(key), period_start, period_end, avg_size_bytes, max_size_bytes, min_size_bytes, data_count\(extra), calculated_at"
            statements += [
                """
                CREATE TABLE \(table)_v8 (
                    period_type TEXT NOT NULL,
                    \(key) BIGINT NOT NULL,
                    period_start TEXT NOT NULL,
                    period_end TEXT NOT NULL,
                    avg_size_bytes BIGINT NOT NULL,
                    max_size_bytes BIGINT NOT NULL,
                    min_size_bytes BIGINT NOT NULL,
                    data_count INTEGER NOT NULL,\(extraColumns)
                    calculated_at BIGINT NOT NULL,
                    PRIMARY KEY (period_type, \(key), period_start))\(types.clustered)
                """,
                "INSERT INTO \(table)_v8 (\(columns)) SELECT \(columns) FROM \(table) ORDER BY period_type, \(key), period_start",
                "DROP TABLE \(table)",
                "ALTER TABLE \(table)_v8 RENAME TO \(table)",
            ]
        }
        // The ledger walks each instance's active databases by name (the index covers the filter and the order)
        // and skips whole instances by their count of active databases.
        statements += [
            "DROP INDEX instance_databases_active",
            "CREATE INDEX instance_databases_active ON instance_databases (is_active, instance_id, name)",
            "ALTER TABLE instances ADD COLUMN active_databases INTEGER NOT NULL DEFAULT 0",
            """
            UPDATE instances SET active_databases = (
                SELECT COUNT(*) FROM instance_databases d WHERE d.instance_id = instances.instance_id
                AND d.is_active = \(types.backend == .sqlite ? "1" : "TRUE"))
            """,
            "DROP INDEX instances_name",
            "CREATE INDEX instances_ledger ON instances (name, instance_id, state, active_databases)",
        ]
        if types.backend == .sqlite {
            statements += [
                """
                CREATE TABLE database_size_samples_v8 (
                    database_id BIGINT NOT NULL,
                    sample_date TEXT NOT NULL,
                    size_bytes BIGINT NOT NULL,
                    data_bytes BIGINT,
                    log_bytes BIGINT,
                    collected_at BIGINT NOT NULL,
                    PRIMARY KEY (database_id, sample_date)) WITHOUT ROWID
                """,
                """
                INSERT INTO database_size_samples_v8 (database_id, sample_date, size_bytes, data_bytes, log_bytes, collected_at)
                SELECT database_id, sample_date, size_bytes, data_bytes, log_bytes, collected_at FROM database_size_samples
                ORDER BY database_id, sample_date
                """,
                "DROP TABLE database_size_samples",
                "ALTER TABLE database_size_samples_v8 RENAME TO database_size_samples",
                "CREATE INDEX database_size_samples_date ON database_size_samples (sample_date)",
            ]
        }
        return statements
    }
}

/// The period types of the capacity contract.
public enum PeriodType: String, Sendable, CaseIterable, Codable {
    case daily, weekly, monthly, quarterly
}

