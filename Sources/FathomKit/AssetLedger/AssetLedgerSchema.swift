/// Tables of the asset ledger (migration 11). Times are milliseconds since 1970 like everywhere in the store;
/// JSON columns are text so one SQL path serves SQLite and PostgreSQL.
enum AssetLedgerSchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE asset_schedule_groups (
                group_id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                enabled \(types.bool) NOT NULL,
                timezone TEXT NOT NULL,
                run_at_hhmm TEXT NOT NULL,
                anchor_at BIGINT NOT NULL,
                last_triggered_on TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE asset_sources (
                source_id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                source_type TEXT NOT NULL,
                enabled \(types.bool) NOT NULL,
                schedule_group_id TEXT REFERENCES asset_schedule_groups (group_id),
                config TEXT NOT NULL,
                credential_sealed TEXT,
                deleted_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            // Names are unique among live sources only: a soft-deleted source frees its name.
            "CREATE UNIQUE INDEX asset_sources_live_name ON asset_sources (name) WHERE deleted_at IS NULL",
            "CREATE INDEX asset_sources_group ON asset_sources (schedule_group_id)",
            """
            CREATE TABLE asset_runs (
                run_id TEXT PRIMARY KEY,
                source_id TEXT NOT NULL REFERENCES asset_sources (source_id),
                mode TEXT NOT NULL,
                trigger_type TEXT NOT NULL,
                status TEXT NOT NULL,
                job_id BIGINT,
                cancel_requested \(types.bool) NOT NULL,
                detect_result TEXT,
                stats TEXT,
                warnings TEXT NOT NULL,
                errors TEXT NOT NULL,
                stderr_excerpt TEXT,
                created_at BIGINT NOT NULL,
                started_at BIGINT,
                finished_at BIGINT)
            """,
            // The one-active-run rule lives in the store: a second Queued/Running run of a source cannot be inserted,
            // whichever replica tries (no check-then-insert race).
            "CREATE UNIQUE INDEX asset_runs_one_active ON asset_runs (source_id) WHERE status IN ('Queued', 'Running')",
            "CREATE INDEX asset_runs_source_created ON asset_runs (source_id, created_at)",
            "CREATE INDEX asset_runs_created ON asset_runs (created_at)",
            """
            CREATE TABLE assets (
                asset_uuid TEXT PRIMARY KEY,
                asset_type TEXT NOT NULL,
                display_name TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE asset_source_links (
                link_id TEXT PRIMARY KEY,
                asset_uuid TEXT NOT NULL REFERENCES assets (asset_uuid),
                source_id TEXT NOT NULL REFERENCES asset_sources (source_id),
                external_kind TEXT NOT NULL,
                external_id TEXT NOT NULL,
                presence_status TEXT NOT NULL,
                first_seen_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                last_seen_run_id TEXT NOT NULL,
                UNIQUE (source_id, external_kind, external_id))
            """,
            "CREATE INDEX asset_source_links_asset ON asset_source_links (asset_uuid)",
            // Raw payloads keyed by content hash: an unchanged asset's raw document is stored once, not per run.
            "CREATE TABLE asset_raw_payloads (content_hash TEXT PRIMARY KEY, payload TEXT NOT NULL)",
            """
            CREATE TABLE asset_source_records (
                record_id TEXT PRIMARY KEY,
                run_id TEXT NOT NULL,
                source_id TEXT NOT NULL,
                link_id TEXT NOT NULL,
                asset_uuid TEXT NOT NULL,
                external_kind TEXT NOT NULL,
                external_id TEXT NOT NULL,
                collected_at BIGINT NOT NULL,
                normalized TEXT NOT NULL,
                raw_hash TEXT NOT NULL)
            """,
            "CREATE INDEX asset_source_records_asset ON asset_source_records (asset_uuid, collected_at)",
            "CREATE INDEX asset_source_records_run ON asset_source_records (run_id)",
            """
            CREATE TABLE asset_relations (
                relation_id TEXT PRIMARY KEY,
                relation_type TEXT NOT NULL,
                from_asset_uuid TEXT NOT NULL,
                to_asset_uuid TEXT NOT NULL,
                source_id TEXT NOT NULL,
                status TEXT NOT NULL,
                first_seen_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                last_seen_run_id TEXT NOT NULL,
                UNIQUE (relation_type, from_asset_uuid, to_asset_uuid, source_id))
            """,
            "CREATE INDEX asset_relations_source ON asset_relations (source_id, status)",
            "CREATE INDEX asset_relations_to ON asset_relations (to_asset_uuid)",
        ]
    }
}
