import SQLKit

/// SQL for projects and memberships.
struct ProjectStore: Sendable {
    let store: Store

    static let columns = "id, name, description, quota_instances, quota_storage_gb, created_at, updated_at"

    static func decode(_ row: any SQLRow) throws -> Project {
        Project(
            id: try row.string("id"), name: try row.string("name"), description: try row.string("description"),
            quotaInstances: try row.int("quota_instances"), quotaStorageGB: try row.int("quota_storage_gb"),
            createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"))
    }

    /// Creates the project with its creator as admin member.
    func create(_ project: Project, creator: String) async throws {
        try await store.write { db in
            try await db.raw(
                """
                INSERT INTO projects (id, name, description, quota_instances, quota_storage_gb, created_at, updated_at)
                VALUES (\(bind: project.id), \(bind: project.name), \(bind: project.description),
                        \(bind: project.quotaInstances), \(bind: project.quotaStorageGB), \(bind: project.createdAt),
                        \(bind: project.updatedAt))
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO project_members (project_id, user_id, role, created_at)
                VALUES (\(bind: project.id), \(bind: creator), 'admin', \(bind: project.createdAt))
                """
            ).run()
        }
    }

    func get(_ id: String) async throws -> Project? {
        try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM projects WHERE id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// Projects visible to a user (all of them for nil), by name.
    func list(memberOf userId: String?, projectId: String?) async throws -> [Project] {
        var conditions: [SQLQueryString] = []
        if let userId {
            conditions.append("id IN (SELECT project_id FROM project_members WHERE user_id = \(bind: userId))")
        }
        if let projectId { conditions.append("id = \(bind: projectId)") }
        let filter: SQLQueryString = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM projects \(filter) ORDER BY name").all().map(Self.decode)
        }
    }

    func update(_ project: Project) async throws {
        try await store.write { db in
            try await db.raw(
                """
                UPDATE projects SET name = \(bind: project.name), description = \(bind: project.description),
                    quota_instances = \(bind: project.quotaInstances), quota_storage_gb = \(bind: project.quotaStorageGB),
                    updated_at = \(bind: project.updatedAt)
                WHERE id = \(bind: project.id)
                """
            ).run()
        }
    }

    /// Deletes a project that has no live instances; false if some remain.
    func delete(_ id: String) async throws -> Bool {
        try await store.write { db in
            let live = try await db.raw(
                "SELECT COUNT(*) AS n FROM instances WHERE project_id = \(bind: id) AND state <> 'DELETED'"
            ).first()?.int("n") ?? 0
            guard live == 0 else { return false }
            for table in ["database_users", "backups", "operations", "instances"] {
                if table == "instances" {
                    try await db.raw(
                        "DELETE FROM instance_labels WHERE instance_id IN (SELECT instance_id FROM instances WHERE project_id = \(bind: id))"
                    ).run()
                }
                try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE project_id = \(bind: id)").run()
            }
            try await db.raw("DELETE FROM projects WHERE id = \(bind: id)").run()
            return true
        }
    }

    func role(of userId: String, in projectId: String) async throws -> Role? {
        try await store.read { db in
            try await db.raw(
                "SELECT role FROM project_members WHERE project_id = \(bind: projectId) AND user_id = \(bind: userId)"
            ).first().flatMap { Role(rawValue: try $0.string("role")) }
        }
    }

    func members(_ projectId: String) async throws -> [ProjectMember] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT m.user_id, u.username, m.role, m.created_at FROM project_members m JOIN users u ON u.id = m.user_id
                WHERE m.project_id = \(bind: projectId) ORDER BY u.username
                """
            ).all().map {
                ProjectMember(
                    user_id: try $0.string("user_id"), username: try $0.string("username"),
                    role: Role(rawValue: try $0.string("role")) ?? .viewer,
                    created_at: Timestamp.iso8601(millis: try $0.int64("created_at")))
            }
        }
    }

    func setMember(_ projectId: String, userId: String, role: Role, now: Int64) async throws {
        // `member` is a global role (a tenant); inside a project it would grant nothing, so it is no membership role.
        guard role != .member else {
            throw AppError.invalid(field: "role", issue: "invalid", "a project role is viewer, operator or admin")
        }
        try await store.write { db in
            try await db.raw(
                """
                INSERT INTO project_members (project_id, user_id, role, created_at)
                VALUES (\(bind: projectId), \(bind: userId), \(bind: role.rawValue), \(bind: now))
                ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role
                """
            ).run()
        }
    }

    func removeMember(_ projectId: String, userId: String) async throws -> Bool {
        try await store.write { db in
            !(try await db.raw(
                "DELETE FROM project_members WHERE project_id = \(bind: projectId) AND user_id = \(bind: userId) RETURNING user_id"
            ).all().isEmpty)
        }
    }

    /// Live instances and their storage in a project.
    func usage(_ projectId: String) async throws -> ProjectView.Usage {
        try await store.read { db in try await Self.usage(projectId, on: db) }
    }

    /// The same, inside a caller's transaction (quota checks).
    static func usage(_ projectId: String, on db: any SQLDatabase) async throws -> ProjectView.Usage {
        let row = try await db.raw(
            """
            SELECT COUNT(*) AS n, COALESCE(SUM(storage_gb), 0) AS storage, CAST(COALESCE(SUM(wal_archive_bytes), 0) AS BIGINT) AS wal,
                (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM backups
                 WHERE project_id = \(bind: projectId) AND state <> 'DELETED') AS backup_bytes
            FROM instances
            WHERE project_id = \(bind: projectId) AND state <> 'DELETED'
            """
        ).first()
        return ProjectView.Usage(
            instances: try row?.int("n") ?? 0, storage_gb: try row?.int("storage") ?? 0,
            backup_bytes: try row?.int64("backup_bytes") ?? 0, wal_archive_bytes: try row?.int64("wal") ?? 0)
    }

    /// Locks the project's row until the transaction ends (PostgreSQL), serializing its quota checks.
    static func lockRow(_ id: String, on db: any SQLDatabase) async throws {
        try await db.raw("SELECT id FROM projects WHERE id = \(bind: id) FOR UPDATE").run()
    }
}
