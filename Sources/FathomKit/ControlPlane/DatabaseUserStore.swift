import Foundation
import SQLKit

/// SQL for `database_users`: the users Fathom manages on an instance (never their passwords).
enum DatabaseUserStore {
    static let columns = "id, project_id, instance_id, name, roles, privileges, connection_limit, login, state, created_at, updated_at"

    static func decode(_ row: any SQLRow) throws -> DatabaseUser {
        DatabaseUser(
            id: try row.string("id"), projectId: try row.string("project_id"), instanceId: try row.string("instance_id"),
            name: try row.string("name"),
            roles: (try? JSONDecoder().decode([String].self, from: Data(try row.string("roles").utf8))) ?? [],
            privileges: (try? JSONDecoder().decode([String: [String]].self, from: Data(try row.string("privileges").utf8))) ?? [:],
            connectionLimit: try row.int("connection_limit"), login: try row.bool("login"), state: try row.string("state"),
            createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"))
    }

    static func find(_ id: String, projectId: String, instanceId: String, on db: any SQLDatabase) async throws -> DatabaseUser? {
        try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM database_users
            WHERE id = \(bind: id) AND project_id = \(bind: projectId) AND instance_id = \(bind: instanceId)
            """
        ).first().map(decode)
    }

    /// An instance's users that exist, by name.
    static func list(projectId: String, instanceId: String, on db: any SQLDatabase) async throws -> [DatabaseUser] {
        try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM database_users
            WHERE project_id = \(bind: projectId) AND instance_id = \(bind: instanceId) AND state <> 'DELETED'
            ORDER BY name
            """
        ).all().map(decode)
    }

    /// Inserts a user in state CREATING; a second user of the same name on the instance is a unique violation.
    static func insert(
        id: String, projectId: String, instanceId: String, name: String, roles: [String], privileges: [String: [String]],
        connectionLimit: Int, login: Bool, now: Int64, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO database_users (id, project_id, instance_id, name, roles, privileges, connection_limit, login,
                                        state, created_at, updated_at)
            VALUES (\(bind: id), \(bind: projectId), \(bind: instanceId), \(bind: name),
                    \(bind: JSONText.encode(JSONValue.encode(roles))), \(bind: JSONText.encode(JSONValue.encode(privileges))),
                    \(bind: connectionLimit), \(bind: login), 'CREATING', \(bind: now), \(bind: now))
            """
        ).run()
    }

    /// The user as the engine now has it.
    static func markActive(_ id: String, change: UserChange, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE database_users SET state = 'ACTIVE', login = \(bind: change.login),
                connection_limit = \(bind: change.connectionLimit), roles = \(bind: JSONText.encode(JSONValue.encode(change.roles))),
                privileges = \(bind: JSONText.encode(JSONValue.encode(change.privileges))), updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
    }

    /// Sets a user's state (DELETED, FAILED); `now` nil leaves `updated_at` as it is.
    static func setState(_ id: String, _ state: String, now: Int64?, on db: any SQLDatabase) async throws {
        if let now {
            try await db.raw("UPDATE database_users SET state = \(bind: state), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
        } else {
            try await db.raw("UPDATE database_users SET state = \(bind: state) WHERE id = \(bind: id)").run()
        }
    }

    /// Every user of a deleted instance.
    static func deleteAll(instanceId: String, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE database_users SET state = 'DELETED' WHERE instance_id = \(bind: instanceId)").run()
    }
}
