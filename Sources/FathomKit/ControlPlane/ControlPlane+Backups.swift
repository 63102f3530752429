import Foundation
import SQLKit

extension ControlPlane {
    static let backupColumns = """
        id, project_id, instance_id, kind, state, size_bytes, location, error_code, error_message, created_at,
        started_at, finished_at
        """

    static func decodeBackup(_ row: any SQLRow) throws -> Backup {
        Backup(
            id: try row.string("id"), projectId: try row.string("project_id"), instanceId: try row.string("instance_id"),
            kind: try row.string("kind"), state: BackupState(rawValue: try row.string("state")) ?? .FAILED,
            sizeBytes: try row.optionalInt64("size_bytes"), location: try row.optionalString("location"),
            errorCode: try row.optionalString("error_code"), errorMessage: try row.optionalString("error_message"),
            createdAt: try row.int64("created_at"), startedAt: try row.optionalInt64("started_at"),
            finishedAt: try row.optionalInt64("finished_at"))
    }

    func backup(_ id: String, projectId: String) async throws -> Backup {
        guard let backup = try await store.read({ db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.backupColumns) FROM backups WHERE id = \(bind: id) AND project_id = \(bind: projectId)"
            ).first().map(Self.decodeBackup)
        }), backup.state != .DELETED else { throw AppError(.notFound, "Backup '\(id)' not found") }
        return backup
    }

    /// Starts a backup: the row is PENDING and the instance BACKING_UP until the operation ends.
    func createBackup(_ principal: Principal, project: Project, instanceId: String, kind: String?) async throws -> (Backup, Operation) {
        let current = try await instance(instanceId, projectId: project.id)
        try requireAction(.backup, current)
        let kind = kind ?? "full"
        guard ["full", "logical"].contains(kind) else {
            throw AppError.invalid(field: "kind", issue: "invalid", "kind must be full or logical")
        }
        let backupId = ResourceID.make("bkp")
        let now = clock.millis()
        let operationId = try await withOperation { db in
            try await db.raw(
                """
                INSERT INTO backups (id, project_id, instance_id, kind, state, created_at)
                VALUES (\(bind: backupId), \(bind: project.id), \(bind: instanceId), \(bind: kind), 'PENDING', \(bind: now))
                """
            ).run()
            return try await startOperation(
                OperationRequest(
                    type: .CREATE_BACKUP, projectId: project.id, instanceId: instanceId, target: ("backup", backupId),
                    parameters: ["backup_id": .string(backupId), "from_state": .string(current.state.rawValue)],
                    createdBy: principal.userId, allowed: [.RUNNING], newState: .BACKING_UP),
                on: db)
        }
        return (try await backup(backupId, projectId: project.id), try await operation(operationId, projectId: project.id))
    }

    func listBackups(projectId: String, instanceId: String) async throws -> [Backup] {
        _ = try await instance(instanceId, projectId: projectId)
        return try await store.read { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.backupColumns) FROM backups
                WHERE project_id = \(bind: projectId) AND instance_id = \(bind: instanceId) AND state <> 'DELETED'
                ORDER BY created_at DESC, id DESC
                """
            ).all().map(Self.decodeBackup)
        }
    }

    /// Deletes a backup's files through an operation; the backup outlives its instance until then.
    func deleteBackup(_ principal: Principal, project: Project, id: String) async throws -> (Backup, Operation) {
        let existing = try await backup(id, projectId: project.id)
        guard existing.state == .SUCCEEDED || existing.state == .FAILED else {
            throw AppError(.conflict, "Backup \(id) is \(existing.state.rawValue)")
        }
        let operationId = try await withOperation { db in
            let rows = try await db.raw(
                "UPDATE backups SET state = 'DELETING' WHERE id = \(bind: id) AND state IN ('SUCCEEDED', 'FAILED') RETURNING id"
            ).all()
            guard !rows.isEmpty else { throw AppError(.conflict, "Backup \(id) is already being deleted") }
            return try await startOperation(
                OperationRequest(
                    type: .DELETE_BACKUP, projectId: project.id, instanceId: nil, target: ("backup", id),
                    parameters: ["backup_id": .string(id)], createdBy: principal.userId, allowed: [], newState: nil),
                on: db)
        }
        return (try await backup(id, projectId: project.id), try await operation(operationId, projectId: project.id))
    }
}
