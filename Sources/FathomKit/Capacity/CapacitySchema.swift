/// Tables of the database inventory and its size history.
enum CapacitySchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            // One row per database ever seen on an instance; the latest size is kept here so a ledger page costs
            // O(page), not O(history).
            """
            CREATE TABLE instance_databases (
                database_id \(types.serialKey),
                instance_id BIGINT NOT NULL,
                name TEXT NOT NULL,
                is_active \(types.bool) NOT NULL,
                first_seen_date TEXT NOT NULL,
                last_seen_date TEXT NOT NULL,
                deleted_at BIGINT,
                latest_size_bytes BIGINT,
                latest_collected_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX instance_databases_name ON instance_databases (instance_id, name)",
            "CREATE INDEX instance_databases_active ON instance_databases (is_active, instance_id)",
            // The ledger lists by instance name, then database name: both walks come from indexes, not a sort.
            "CREATE INDEX instances_name ON instances (name, instance_id)",
            // One sample per database per local day (re-collection the same day replaces it).
            """
            CREATE TABLE database_size_samples (
                database_id BIGINT NOT NULL,
                sample_date TEXT NOT NULL,
                size_bytes BIGINT NOT NULL,
                data_bytes BIGINT,
                log_bytes BIGINT,
                collected_at BIGINT NOT NULL,
                PRIMARY KEY (database_id, sample_date))
            """,
            "CREATE INDEX database_size_samples_date ON database_size_samples (sample_date)",
            """
            CREATE TABLE instance_size_samples (
                instance_id BIGINT NOT NULL,
                sample_date TEXT NOT NULL,
                total_bytes BIGINT NOT NULL,
                database_count INTEGER NOT NULL,
                collected_at BIGINT NOT NULL,
                PRIMARY KEY (instance_id, sample_date))
            """,
            """
            CREATE TABLE table_size_snapshots (
                database_id BIGINT NOT NULL,
                schema_name TEXT NOT NULL,
                table_name TEXT NOT NULL,
                total_bytes BIGINT NOT NULL,
                data_bytes BIGINT NOT NULL,
                index_bytes BIGINT NOT NULL,
                row_estimate BIGINT NOT NULL,
                collected_at BIGINT NOT NULL,
                PRIMARY KEY (database_id, schema_name, table_name))
            """,
        ]
    }
}
