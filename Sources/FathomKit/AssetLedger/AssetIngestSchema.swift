/// Room on PostgreSQL's pages for the rows every collect updates (migration 19; the number may change at merge).
/// A collect seen again rewrites each link's and each relation's last sighting. PostgreSQL writes a new row version
/// for every update; when it fits on the same page and no indexed column changed, no index is touched (a "HOT"
/// update), otherwise each of the table's five indexes gets a new entry per row — which made a repeated collect of
/// 100,000 relations spend seconds in index inserts. Pages filled to 45 % leave room for the next version of every
/// row, and the versions a finished collect left behind are pruned when the page is next updated. SQLite updates rows
/// in place and needs nothing.
enum AssetIngestSchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        guard types.backend == .postgres else { return [] }
        return [
            "ALTER TABLE asset_source_links SET (fillfactor = 45)",
            "ALTER TABLE asset_relations SET (fillfactor = 45)",
        ]
    }
}
