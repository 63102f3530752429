import SQLKit

/// SQL of sources. Reads skip soft-deleted sources unless told otherwise.
struct SourceStore: Sendable {
    let store: Store

    /// Columns with the group's name and the newest run's summary (one indexed lookup per row).
    static let select: SQLQueryString = """
        SELECT s.source_id, s.name, s.source_type, s.enabled, s.schedule_group_id, g.name AS schedule_group_name, s.config,
               s.credential_sealed, s.deleted_at, s.created_at, s.updated_at,
               r.run_id AS last_run_id, r.status AS last_run_status, r.finished_at AS last_run_finished_at
        FROM asset_sources s
        LEFT JOIN asset_schedule_groups g ON g.group_id = s.schedule_group_id
        LEFT JOIN asset_runs r ON r.run_id = (
            SELECT r2.run_id FROM asset_runs r2 WHERE r2.source_id = s.source_id
            ORDER BY r2.created_at DESC, r2.run_id DESC LIMIT 1)
        """

    static func decode(_ row: any SQLRow) throws -> Source {
        var lastRun: Source.LastRun?
        if let runId = try row.optionalString("last_run_id") {
            lastRun = Source.LastRun(
                runId: runId, status: try row.string("last_run_status"),
                finishedAt: try row.optionalInt64("last_run_finished_at").map(Timestamp.iso8601(millis:)))
        }
        return Source(
            sourceId: try row.string("source_id"), name: try row.string("name"), sourceType: try row.string("source_type"),
            enabled: try row.bool("enabled"), scheduleGroupId: try row.optionalString("schedule_group_id"),
            scheduleGroupName: try row.optionalString("schedule_group_name"),
            config: JSONText.decode(try row.string("config")), credentialSealed: try row.optionalString("credential_sealed"),
            deletedAt: try row.optionalInt64("deleted_at"), createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at"), lastRun: lastRun)
    }

    struct Filter: Sendable {
        var sourceType: String?
        var enabled: Bool?
        var scheduleGroupId: String?
    }

    func list(_ filter: Filter, offset: Int, limit: Int) async throws -> (items: [Source], total: Int) {
        var conditions: [SQLQueryString] = ["s.deleted_at IS NULL"]
        if let type = filter.sourceType { conditions.append("s.source_type = \(bind: type)") }
        if let enabled = filter.enabled { conditions.append("s.enabled = \(bind: enabled)") }
        if let group = filter.scheduleGroupId { conditions.append("s.schedule_group_id = \(bind: group)") }
        let condition = conditions.joined(separator: " AND ")
        return try await store.read { db in
            let total = try await db.raw("SELECT COUNT(*) AS n FROM asset_sources s WHERE \(condition)").first()?.int("n") ?? 0
            let rows = try await db.raw(
                "\(Self.select) WHERE \(condition) ORDER BY s.created_at, s.source_id LIMIT \(bind: limit) OFFSET \(bind: offset)"
            ).all()
            return (try rows.map(Self.decode), total)
        }
    }

    func get(_ id: String, includeDeleted: Bool = false) async throws -> Source? {
        try await store.read { db in try await Self.get(id, includeDeleted: includeDeleted, on: db) }
    }

    static func get(_ id: String, includeDeleted: Bool = false, on db: any SQLDatabase) async throws -> Source? {
        let live: SQLQueryString = includeDeleted ? "" : "AND s.deleted_at IS NULL"
        return try await db.raw("\(select) WHERE s.source_id = \(bind: id) \(live)").first().map(decode)
    }

    /// Live, enabled sources of a group (what a firing triggers).
    func inGroup(_ groupId: String) async throws -> [Source] {
        try await store.read { db in
            try await db.raw(
                "\(Self.select) WHERE s.schedule_group_id = \(bind: groupId) AND s.deleted_at IS NULL ORDER BY s.source_id"
            ).all().map(Self.decode)
        }
    }

    func insert(_ source: Source) async throws -> Source {
        try await store.write { db in
            try await db.raw(
                """
                INSERT INTO asset_sources (source_id, name, source_type, enabled, schedule_group_id, config, credential_sealed,
                                           created_at, updated_at)
                VALUES (\(bind: source.sourceId), \(bind: source.name), \(bind: source.sourceType), \(bind: source.enabled),
                        \(bind: source.scheduleGroupId), \(bind: JSONText.encode(source.config)),
                        \(bind: source.credentialSealed), \(bind: source.createdAt), \(bind: source.updatedAt))
                """
            ).run()
            guard let stored = try await Self.get(source.sourceId, on: db) else { throw AppError(.dbWriteFailed) }
            return stored
        }
    }

    func update(_ source: Source) async throws -> Source? {
        try await store.write { db in
            try await db.raw(
                """
                UPDATE asset_sources SET name = \(bind: source.name), enabled = \(bind: source.enabled),
                    schedule_group_id = \(bind: source.scheduleGroupId), config = \(bind: JSONText.encode(source.config)),
                    updated_at = \(bind: source.updatedAt)
                WHERE source_id = \(bind: source.sourceId) AND deleted_at IS NULL
                """
            ).run()
            return try await Self.get(source.sourceId, on: db)
        }
    }

    func setCredential(_ id: String, sealed: String, now: Int64) async throws -> Bool {
        try await store.write { db in
            !(try await db.raw(
                """
                UPDATE asset_sources SET credential_sealed = \(bind: sealed), updated_at = \(bind: now)
                WHERE source_id = \(bind: id) AND deleted_at IS NULL RETURNING source_id
                """
            ).all()).isEmpty
        }
    }

    enum DeleteOutcome { case deleted, notFound, activeRun }

    /// Soft-deletes a source without an active run. The source row is updated first: on PostgreSQL that locks it, and
    /// a trigger locks the same row before inserting a run, so a run cannot slip in between the check and the delete.
    func softDelete(_ id: String, now: Int64) async throws -> DeleteOutcome {
        struct ActiveRun: Error {}
        do {
            return try await store.write { db in
                let updated = try await db.raw(
                    """
                    UPDATE asset_sources SET deleted_at = \(bind: now), updated_at = \(bind: now)
                    WHERE source_id = \(bind: id) AND deleted_at IS NULL RETURNING source_id
                    """
                ).all()
                if updated.isEmpty { return .notFound }
                let active = try await db.raw(
                    "SELECT run_id FROM asset_runs WHERE source_id = \(bind: id) AND status IN ('Queued', 'Running')"
                ).first()
                if active != nil { throw ActiveRun() }
                return .deleted
            }
        } catch is ActiveRun {
            return .activeRun
        }
    }
}
