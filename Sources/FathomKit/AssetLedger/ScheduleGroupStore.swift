import SQLKit

/// SQL of schedule groups.
struct ScheduleGroupStore: Sendable {
    let store: Store

    static let select: SQLQueryString = """
        SELECT g.group_id, g.name, g.enabled, g.timezone, g.run_at_hhmm, g.anchor_at, g.last_triggered_on, g.created_at,
               g.updated_at,
               (SELECT COUNT(*) FROM asset_sources s WHERE s.schedule_group_id = g.group_id AND s.deleted_at IS NULL)
                   AS source_count
        FROM asset_schedule_groups g
        """

    static func decode(_ row: any SQLRow) throws -> ScheduleGroup {
        ScheduleGroup(
            groupId: try row.string("group_id"), name: try row.string("name"), enabled: try row.bool("enabled"),
            timezone: try row.string("timezone"), runAtHhmm: try row.string("run_at_hhmm"),
            anchorAt: try row.int64("anchor_at"), lastTriggeredOn: try row.optionalString("last_triggered_on"),
            createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"),
            sourceCount: try row.int("source_count"))
    }

    func list(enabled: Bool?, offset: Int, limit: Int) async throws -> (items: [ScheduleGroup], total: Int) {
        let filter: SQLQueryString = enabled.map { "g.enabled = \(bind: $0)" } ?? "1 = 1"
        return try await store.read { db in
            let total = try await db.raw("SELECT COUNT(*) AS n FROM asset_schedule_groups g WHERE \(filter)").first()?.int("n") ?? 0
            let rows = try await db.raw(
                "\(Self.select) WHERE \(filter) ORDER BY g.created_at, g.group_id LIMIT \(bind: limit) OFFSET \(bind: offset)"
            ).all()
            return (try rows.map(Self.decode), total)
        }
    }

    func get(_ id: String) async throws -> ScheduleGroup? {
        try await store.read { db in try await Self.get(id, on: db) }
    }

    static func get(_ id: String, on db: any SQLDatabase) async throws -> ScheduleGroup? {
        try await db.raw("\(select) WHERE g.group_id = \(bind: id)").first().map(decode)
    }

    /// Every enabled group (the firing pass looks at each once a minute; there are few).
    func enabled() async throws -> [ScheduleGroup] {
        try await store.read { db in
            try await db.raw("\(Self.select) WHERE g.enabled = \(bind: true) ORDER BY g.group_id").all().map(Self.decode)
        }
    }

    /// Inserts a group; a duplicate name is a unique violation the service turns into 409.
    func insert(_ group: ScheduleGroup) async throws -> ScheduleGroup {
        try await store.write { db in
            try await db.raw(
                """
                INSERT INTO asset_schedule_groups (group_id, name, enabled, timezone, run_at_hhmm, anchor_at, created_at,
                                                   updated_at)
                VALUES (\(bind: group.groupId), \(bind: group.name), \(bind: group.enabled), \(bind: group.timezone),
                        \(bind: group.runAtHhmm), \(bind: group.anchorAt), \(bind: group.createdAt), \(bind: group.updatedAt))
                """
            ).run()
            guard let stored = try await Self.get(group.groupId, on: db) else { throw AppError(.dbWriteFailed) }
            return stored
        }
    }

    func update(_ group: ScheduleGroup) async throws -> ScheduleGroup? {
        try await store.write { db in
            try await db.raw(
                """
                UPDATE asset_schedule_groups SET name = \(bind: group.name), enabled = \(bind: group.enabled),
                    timezone = \(bind: group.timezone), run_at_hhmm = \(bind: group.runAtHhmm),
                    anchor_at = \(bind: group.anchorAt), updated_at = \(bind: group.updatedAt)
                WHERE group_id = \(bind: group.groupId)
                """
            ).run()
            return try await Self.get(group.groupId, on: db)
        }
    }

    enum DeleteOutcome { case deleted, notFound, hasSources }

    /// Deletes a group that no live source uses; checked and deleted in one transaction.
    func delete(_ id: String) async throws -> DeleteOutcome {
        try await store.write { db in
            guard let group = try await Self.get(id, on: db) else { return .notFound }
            if group.sourceCount > 0 { return .hasSources }
            // Soft-deleted sources keep their history but no longer hold the group.
            try await db.raw("UPDATE asset_sources SET schedule_group_id = NULL WHERE schedule_group_id = \(bind: id)").run()
            try await db.raw("DELETE FROM asset_schedule_groups WHERE group_id = \(bind: id)").run()
            return .deleted
        }
    }

    /// Marks the group fired on `localDate` unless it already fired that day: the conditional update is what makes a
    /// day's firing happen once across replicas and restarts. Returns whether this caller won the day.
    func claimDay(_ id: String, localDate: String, now: Int64) async throws -> Bool {
        try await store.write { db in
            let rows = try await db.raw(
                """
                UPDATE asset_schedule_groups SET last_triggered_on = \(bind: localDate), updated_at = \(bind: now)
                WHERE group_id = \(bind: id) AND (last_triggered_on IS NULL OR last_triggered_on <> \(bind: localDate))
                RETURNING group_id
                """
            ).all()
            return !rows.isEmpty
        }
    }
}
