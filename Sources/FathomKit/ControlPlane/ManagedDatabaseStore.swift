import SQLKit

/// SQL for `managed_databases` (migration 10), and the instance columns naming the default database and user.
enum ManagedDatabaseStore {
    static let columns = "project_id, instance_id, name, owner, encoding, locale, state, created_at, updated_at"

    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE managed_databases (
                project_id TEXT NOT NULL,
                instance_id TEXT NOT NULL,
                name TEXT NOT NULL,
                owner TEXT NOT NULL,
                encoding TEXT NOT NULL,
                locale TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (instance_id, name))
            """,
            "ALTER TABLE instances ADD COLUMN default_database TEXT",
            "ALTER TABLE instances ADD COLUMN default_user TEXT",
        ]
    }

    static func decode(_ row: any SQLRow) throws -> ManagedDatabase {
        ManagedDatabase(
            projectId: try row.string("project_id"), instanceId: try row.string("instance_id"), name: try row.string("name"),
            owner: try row.string("owner"), encoding: try row.string("encoding"), locale: try row.string("locale"),
            state: try row.string("state"), createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"))
    }

    static func find(instanceId: String, name: String, on db: any SQLDatabase) async throws -> ManagedDatabase? {
        try await db.raw(
            "SELECT \(unsafeRaw: columns) FROM managed_databases WHERE instance_id = \(bind: instanceId) AND name = \(bind: name)"
        ).first().map(decode)
    }

    static func list(instanceId: String, on db: any SQLDatabase) async throws -> [ManagedDatabase] {
        try await db.raw(
            "SELECT \(unsafeRaw: columns) FROM managed_databases WHERE instance_id = \(bind: instanceId) ORDER BY name"
        ).all().map(decode)
    }

    /// A new database in state CREATING; a second one of the same name on the instance is a unique violation.
    static func insert(_ database: ManagedDatabase, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO managed_databases (project_id, instance_id, name, owner, encoding, locale, state, created_at, updated_at)
            VALUES (\(bind: database.projectId), \(bind: database.instanceId), \(bind: database.name), \(bind: database.owner),
                    \(bind: database.encoding), \(bind: database.locale), \(bind: database.state), \(bind: database.createdAt),
                    \(bind: database.updatedAt))
            """
        ).run()
    }

    static func setState(instanceId: String, name: String, _ state: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE managed_databases SET state = \(bind: state), updated_at = \(bind: now)
            WHERE instance_id = \(bind: instanceId) AND name = \(bind: name)
            """
        ).run()
    }

    static func remove(instanceId: String, name: String, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM managed_databases WHERE instance_id = \(bind: instanceId) AND name = \(bind: name)").run()
    }

    /// Every database of a deleted instance.
    static func removeAll(instanceId: String, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM managed_databases WHERE instance_id = \(bind: instanceId)").run()
    }

    /// Marks a database that a user owns, so the user cannot be dropped from under it.
    static func owned(by owner: String, instanceId: String, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw(
            "SELECT name FROM managed_databases WHERE instance_id = \(bind: instanceId) AND owner = \(bind: owner) ORDER BY name"
        ).all().map { try $0.string("name") }
    }
}
