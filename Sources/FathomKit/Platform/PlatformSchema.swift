/// The platform's own tables (outside any feature): migration 2.
enum PlatformSchema {
    static let migrations = [Migration(version: 2, name: "rate_counters", statements: RateCounterSchema.statements)]
}

/// Fixed-window counters shared by rate limits and login throttling (shared by all replicas).
enum RateCounterSchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE rate_counters (
                bucket TEXT NOT NULL,
                window_start BIGINT NOT NULL,
                count BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (bucket, window_start))
            """,
            "CREATE INDEX rate_counters_expires_at ON rate_counters (expires_at)",
        ]
    }
}
