/// The platform's own tables (outside any feature): migrations 2 and 20.
enum PlatformSchema {
    static let migrations = [
        Migration(version: 2, name: "rate_counters", statements: RateCounterSchema.statements),
        Migration(version: 20, name: "rate_counters_unlogged", statements: RateCounterSchema.unlogged),
    ]
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

    /// On PostgreSQL the counters skip the write-ahead log: every batch of increments then commits without waiting
    /// for a flush to disk, which under load made a slow fsync every request's wait. A crash of the database
    /// server empties the table, which only starts the current windows afresh. (SQLite keeps them in memory.)
    static func unlogged(_ types: ColumnTypes) -> [String] {
        types.backend == .postgres ? ["ALTER TABLE rate_counters SET UNLOGGED"] : []
    }
}
