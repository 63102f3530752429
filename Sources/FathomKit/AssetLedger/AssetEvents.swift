import SQLKit

/// Appends to an asset's history inside the caller's transaction, so an event exists exactly when its change does.
enum AssetEvents {
    static func append(
        _ db: any SQLDatabase, assets uuids: [String], type: String, at now: Int64, actor: String?, details: JSONValue
    ) async throws {
        let text = JSONText.encode(details)
        let rows: [SQLQueryString] = uuids.map {
            "(\(bind: LedgerID.make("evt")), \(bind: $0), \(bind: type), \(bind: now), \(bind: actor), \(bind: text))"
        }
        for chunk in IngestStore.chunks(rows, 500) {
            var sql: SQLQueryString = "INSERT INTO asset_events (event_id, asset_uuid, event_type, occurred_at, actor, details) VALUES "
            sql += chunk.joined(separator: ", ")
            try await db.raw(sql).run()
        }
    }
}
