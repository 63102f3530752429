/// Tables of the canonical asset view (migration 12, right after the asset ledger's 11): fields kept by hand and the
/// edges a collect reported but could not store (so `/relations` can say why an edge is missing).
enum AssetCanonicalSchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            // One row per hand-kept leaf (`ownership.owner_name`, `comments`): an edit of one leaf never rewrites
            // another, and collects never touch this table, so the values survive every later collect.
            """
            CREATE TABLE asset_ledger_fields (
                asset_uuid TEXT NOT NULL REFERENCES assets (asset_uuid),
                field_path TEXT NOT NULL,
                value TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                updated_by TEXT NOT NULL,
                PRIMARY KEY (asset_uuid, field_path))
            """,
            // A relation whose target was never collected by its source is not stored as an edge (it has no
            // target asset); the gap is kept per source and replaced by every complete collect of that relation type.
            """
            CREATE TABLE asset_relation_gaps (
                source_id TEXT NOT NULL,
                from_asset_uuid TEXT NOT NULL,
                relation_type TEXT NOT NULL,
                to_external_kind TEXT NOT NULL,
                to_external_id TEXT NOT NULL,
                run_id TEXT NOT NULL,
                PRIMARY KEY (source_id, from_asset_uuid, relation_type, to_external_kind, to_external_id))
            """,
            "CREATE INDEX asset_relation_gaps_from ON asset_relation_gaps (from_asset_uuid)",
            // Merged assets point at the asset that absorbed them.
            "ALTER TABLE assets ADD COLUMN merged_into TEXT",
            "CREATE INDEX assets_type_created ON assets (asset_type, created_at)",
            "CREATE INDEX asset_source_links_source ON asset_source_links (source_id, asset_uuid)",
            "CREATE INDEX asset_relations_from ON asset_relations (from_asset_uuid)",
            // One row per unordered pair (first < second); `ignored` survives later detections, `merged` is closed.
            """
            CREATE TABLE asset_duplicate_candidates (
                candidate_id TEXT PRIMARY KEY,
                first_asset_uuid TEXT NOT NULL,
                second_asset_uuid TEXT NOT NULL,
                asset_type TEXT NOT NULL,
                score INTEGER NOT NULL,
                reasons TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (first_asset_uuid, second_asset_uuid))
            """,
            "CREATE INDEX asset_duplicate_candidates_status ON asset_duplicate_candidates (status, score)",
            // What happened to an asset besides its records changing: status changes, merges, hand edits. Append-only.
            """
            CREATE TABLE asset_events (
                event_id TEXT PRIMARY KEY,
                asset_uuid TEXT NOT NULL,
                event_type TEXT NOT NULL,
                occurred_at BIGINT NOT NULL,
                actor TEXT,
                details TEXT NOT NULL)
            """,
            "CREATE INDEX asset_events_asset ON asset_events (asset_uuid, occurred_at)",
            // The ledger's audit log: appended by the actions it records, never updated or deleted through the API.
            // `seq` orders events written in the same millisecond.
            """
            CREATE TABLE asset_audit_events (
                seq \(types.serialKey),
                event_id TEXT NOT NULL UNIQUE,
                event_type TEXT NOT NULL,
                actor TEXT NOT NULL,
                target_type TEXT NOT NULL,
                target_id TEXT NOT NULL,
                occurred_at BIGINT NOT NULL,
                details TEXT NOT NULL)
            """,
            "CREATE INDEX asset_audit_events_time ON asset_audit_events (occurred_at)",
            "CREATE INDEX asset_audit_events_type ON asset_audit_events (event_type, occurred_at)",
            "CREATE INDEX asset_audit_events_target ON asset_audit_events (target_id)",
            "CREATE INDEX asset_duplicate_candidates_second ON asset_duplicate_candidates (second_asset_uuid)",
        ]
    }
}
