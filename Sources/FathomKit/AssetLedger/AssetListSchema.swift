/// Migration 18: what keeps an asset list page O(page) — an index per sort order (alone and after `assetType`), a
/// version of the list for kept totals (`AssetListTotals`), and each link's search text for `q`.
enum AssetListSchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            // Each order ends with the uuid, as the list's ORDER BY does: ties (a whole collect shares one
            // created_at) are walked from the index instead of sorted per request. The status after it lets a deep
            // page skip its offset (and merged assets) in the index, without reading each skipped row.
            "DROP INDEX assets_type_created",
            "CREATE INDEX assets_created ON assets (created_at, asset_uuid, status)",
            "CREATE INDEX assets_updated ON assets (updated_at, asset_uuid, status)",
            "CREATE INDEX assets_name ON assets (display_name, asset_uuid, status)",
            "CREATE INDEX assets_type_created ON assets (asset_type, created_at, asset_uuid, status)",
            "CREATE INDEX assets_type_updated ON assets (asset_type, updated_at, asset_uuid, status)",
            "CREATE INDEX assets_type_name ON assets (asset_type, display_name, asset_uuid, status)",
            // Bumped by every transaction that changes what a list shows or counts (a collect, a merge).
            "CREATE TABLE asset_list_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)",
            "INSERT INTO asset_list_version (id, version) VALUES (1, 0)",
            // Lower-case external id and text values of the link's latest record: what `q` reads instead of every
            // record's JSON. Existing links start from the record's whole text (a superset of its values).
            "ALTER TABLE asset_source_links ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
            """
            UPDATE asset_source_links SET search_text = LOWER(external_id || '\n' || COALESCE((
                SELECT r.normalized FROM asset_source_records r
                WHERE r.asset_uuid = asset_source_links.asset_uuid AND r.link_id = asset_source_links.link_id
                  AND r.run_id = asset_source_links.last_seen_run_id), ''))
            """,
        ]
    }
}
