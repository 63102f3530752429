import SQLKit

/// The asset ledger's append-only audit log: every change of groups, sources and credentials, manual and suppressed
/// triggers, cancels, merges, hand edits and exports. Reads are not audited.
struct AuditLog: Sendable {
    let store: Store
    let clock: WallClock

    /// Appends inside the caller's transaction (merges, hand edits): the entry exists exactly when the change does.
    static func append(
        _ db: any SQLDatabase, _ type: String, actor: String, target: (type: String, id: String), at now: Int64,
        details: JSONValue = [:]
    ) async throws {
        try await db.raw(
            """
            INSERT INTO asset_audit_events (event_id, event_type, actor, target_type, target_id, occurred_at, details)
            VALUES (\(bind: LedgerID.make("aud")), \(bind: type), \(bind: actor), \(bind: target.type), \(bind: target.id),
                    \(bind: now), \(bind: JSONText.encode(details)))
            """
        ).run()
    }

    /// Appends after a change the service committed on its own (groups, sources, credentials, triggers, cancels).
    func record(_ type: String, actor: Principal, target: (type: String, id: String), details: JSONValue = [:]) async throws {
        let now = clock.millis()
        try await store.write { db in
            try await Self.append(db, type, actor: actor.username, target: target, at: now, details: details)
        }
    }

    struct Filter: Sendable {
        var type: String?
        var actor: String?
        var target: String?
        var since: Int64?
    }

    struct Entry: Encodable, Sendable {
        var eventId: String
        var type: String
        var actor: String
        var targetType: String
        var targetId: String
        var occurredAt: String
        var details: JSONValue
    }

    func list(_ filter: Filter, offset: Int, limit: Int) async throws -> (items: [Entry], total: Int) {
        var parts: [SQLQueryString] = ["1 = 1"]
        if let value = filter.type { parts.append("event_type = \(bind: value)") }
        if let value = filter.actor { parts.append("actor = \(bind: value)") }
        if let value = filter.target { parts.append("target_id = \(bind: value)") }
        if let value = filter.since { parts.append("occurred_at >= \(bind: value)") }
        let condition = parts.joined(separator: " AND ")
        return try await store.read { db in
            let total = try await db.raw("SELECT COUNT(*) AS n FROM asset_audit_events WHERE \(condition)").first()?.int("n") ?? 0
            let rows = try await db.raw(
                """
                SELECT event_id, event_type, actor, target_type, target_id, occurred_at, details FROM asset_audit_events
                WHERE \(condition) ORDER BY occurred_at DESC, seq DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all()
            return (try rows.map {
                Entry(eventId: try $0.string("event_id"), type: try $0.string("event_type"), actor: try $0.string("actor"),
                      targetType: try $0.string("target_type"), targetId: try $0.string("target_id"),
                      occurredAt: Timestamp.iso8601(millis: try $0.int64("occurred_at")),
                      details: JSONText.decode(try $0.string("details")))
            }, total)
        }
    }
}
