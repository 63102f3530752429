import Foundation
import SQLKit

/// SQL for `backups`: each row is one backup of an instance, kept after the instance is deleted until its files are.
enum BackupStore {
    static let columns = """
        id, project_id, instance_id, kind, state, size_bytes, location, error_code, error_message, created_at,
        started_at, finished_at, backup_trigger, expires_at, recoverable_from, wal_start
        """

    static func decode(_ row: any SQLRow) throws -> Backup {
        var backup = Backup(
            id: try row.string("id"), projectId: try row.string("project_id"), instanceId: try row.string("instance_id"),
            kind: try row.string("kind"), state: BackupState(rawValue: try row.string("state")) ?? .FAILED,
            sizeBytes: try row.optionalInt64("size_bytes"), location: try row.optionalString("location"),
            errorCode: try row.optionalString("error_code"), errorMessage: try row.optionalString("error_message"),
            createdAt: try row.int64("created_at"), startedAt: try row.optionalInt64("started_at"),
            finishedAt: try row.optionalInt64("finished_at"))
        backup.trigger = try row.string("backup_trigger")
        backup.expiresAt = try row.optionalInt64("expires_at")
        backup.recoverableFrom = try row.optionalInt64("recoverable_from")
        backup.walStart = try row.optionalString("wal_start")
        return backup
    }

    /// The backup, within a project when one is given.
    static func find(_ id: String, projectId: String?, on db: any SQLDatabase) async throws -> Backup? {
        var query: SQLQueryString = "SELECT \(unsafeRaw: columns) FROM backups WHERE id = \(bind: id)"
        if let projectId { query += " AND project_id = \(bind: projectId)" as SQLQueryString }
        return try await db.raw(query).first().map(decode)
    }

    /// An instance's backups that still exist, newest first.
    static func list(projectId: String, instanceId: String, on db: any SQLDatabase) async throws -> [Backup] {
        try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM backups
            WHERE project_id = \(bind: projectId) AND instance_id = \(bind: instanceId) AND state <> 'DELETED'
            ORDER BY created_at DESC, id DESC
            """
        ).all().map(decode)
    }

    /// A new PENDING backup; a scheduled one names its schedule slot (one backup per slot: a unique index) and
    /// when it expires.
    static func insert(
        id: String, projectId: String, instanceId: String, kind: String, now: Int64, trigger: String = "manual",
        scheduledSlotAt: Int64? = nil, expiresAt: Int64? = nil, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO backups (id, project_id, instance_id, kind, state, created_at, backup_trigger, scheduled_slot_at, expires_at)
            VALUES (\(bind: id), \(bind: projectId), \(bind: instanceId), \(bind: kind), 'PENDING', \(bind: now),
                    \(bind: trigger), \(bind: scheduledSlotAt), \(bind: expiresAt))
            """
        ).run()
    }

    /// Marks a finished backup DELETING; false when it is not finished (or already being deleted).
    static func beginDelete(_ id: String, on db: any SQLDatabase) async throws -> Bool {
        !(try await db.raw(
            "UPDATE backups SET state = 'DELETING' WHERE id = \(bind: id) AND state IN ('SUCCEEDED', 'FAILED') RETURNING id"
        ).all().isEmpty)
    }

    static func markRunning(_ id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE backups SET state = 'RUNNING', started_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    static func markSucceeded(_ id: String, made: MadeBackup, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE backups SET state = 'SUCCEEDED', size_bytes = \(bind: made.sizeBytes), location = \(bind: made.location),
                recoverable_from = \(bind: made.recoverableFrom), wal_start = \(bind: made.walStart), finished_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
    }

    /// A backup that failed (or was cancelled) with the reason; `now` nil leaves `finished_at` as it is.
    static func markFailed(_ id: String, code: String?, message: String?, now: Int64?, on db: any SQLDatabase) async throws {
        var query: SQLQueryString = "UPDATE backups SET state = 'FAILED'"
        if let code { query += ", error_code = \(bind: code)" as SQLQueryString }
        if let message { query += ", error_message = \(bind: message)" as SQLQueryString }
        if let now { query += ", finished_at = \(bind: now)" as SQLQueryString }
        try await db.raw(query + " WHERE id = \(bind: id)" as SQLQueryString).run()
    }

    /// A delete that was cancelled before it started: the backup is back to usable.
    static func restoreSucceeded(_ id: String, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE backups SET state = 'SUCCEEDED' WHERE id = \(bind: id)").run()
    }

    static func markDeleted(_ id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE backups SET state = 'DELETED', finished_at = \(bind: now) WHERE id = \(bind: id)").run()
    }
}
