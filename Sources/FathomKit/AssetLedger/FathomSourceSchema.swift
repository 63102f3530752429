/// Fathom's own source (type `fathom`): created once by the migration, disabled until an operator enables it (it
/// reads every DBaaS instance into the ledger, which a team may not want). A well-known id and DO NOTHING on any
/// conflict: a source already named `fathom` is left alone, and a deleted default source is not brought back.
enum FathomSourceSchema {
    static let sourceId = "src_fathom"

    static func statements(_ types: ColumnTypes) -> [String] {
        let disabled = types.backend == .sqlite ? "0" : "FALSE"
        let now = types.backend == .sqlite
            ? "CAST(strftime('%s', 'now') AS INTEGER) * 1000"
            : "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)"
        return [
            """
            INSERT INTO asset_sources (source_id, name, source_type, enabled, schedule_group_id, config, credential_sealed,
                                       deleted_at, created_at, updated_at)
            VALUES ('\(sourceId)', 'fathom', 'fathom', \(disabled), NULL, '{}', NULL, NULL, \(now), \(now))
            ON CONFLICT DO NOTHING
            """
        ]
    }
}
