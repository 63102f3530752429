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

/// The period types of the capacity contract.
public enum PeriodType: String, Sendable, CaseIterable, Codable {
    case daily, weekly, monthly, quarterly

    /// SQL for the period's first day and last day from a `YYYY-MM-DD` text column (weeks start on Monday).
    func bounds(_ column: String, backend: Store.Backend) -> (start: String, end: String) {
        switch (self, backend) {
        case (.daily, _):
            return (column, column)
        case (.weekly, .sqlite):
            let start = "date(\(column), '-6 days', 'weekday 1')"
            return (start, "date(\(start), '+6 days')")
        case (.monthly, .sqlite):
            let start = "strftime('%Y-%m-01', \(column))"
            return (start, "date(\(start), '+1 month', '-1 day')")
        case (.quarterly, .sqlite):
            let start = "printf('%s-%02d-01', strftime('%Y', \(column)), ((CAST(strftime('%m', \(column)) AS INTEGER) - 1) / 3) * 3 + 1)"
            return (start, "date(\(start), '+3 months', '-1 day')")
        case (_, .postgres):
            let unit = self == .weekly ? "week" : self == .monthly ? "month" : "quarter"
            let step = self == .weekly ? "1 week" : self == .monthly ? "1 month" : "3 months"
            let start = "date_trunc('\(unit)', (\(column))::date)"
            return ("to_char(\(start), 'YYYY-MM-DD')", "to_char(\(start) + interval '\(step)' - interval '1 day', 'YYYY-MM-DD')")
        }
    }
}
