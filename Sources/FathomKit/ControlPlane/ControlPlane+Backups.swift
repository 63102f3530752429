import Foundation

extension ControlPlane {
    func backup(_ id: String, projectId: String) async throws -> Backup {
        guard let backup = try await store.read({ db in
            try await BackupStore.find(id, projectId: projectId, on: db)
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
            try await BackupStore.insert(id: backupId, projectId: project.id, instanceId: instanceId, kind: kind, now: now, on: db)
            return try await startOperation(
                OperationRequest(
                    type: .CREATE_BACKUP, projectId: project.id, instanceId: instanceId, target: ("backup", backupId),
                    parameters: [
                        "backup_id": .string(backupId), "from_state": .string(current.state.rawValue), "trigger": "manual",
                    ],
                    createdBy: principal.userId, allowed: [.RUNNING], newState: .BACKING_UP),
                on: db)
        }
        return (try await backup(backupId, projectId: project.id), try await operation(operationId, projectId: project.id))
    }

    func listBackups(projectId: String, instanceId: String) async throws -> [Backup] {
        _ = try await instance(instanceId, projectId: projectId)
        return try await store.read { db in try await BackupStore.list(projectId: projectId, instanceId: instanceId, on: db) }
    }

    /// Deletes a backup's files through an operation; the backup outlives its instance until then.
    func deleteBackup(_ principal: Principal, project: Project, id: String) async throws -> (Backup, Operation) {
        let existing = try await backup(id, projectId: project.id)
        guard existing.state == .SUCCEEDED || existing.state == .FAILED else {
            throw AppError(.conflict, "Backup \(id) is \(existing.state.rawValue)")
        }
        let operationId = try await withOperation { db in
            if try await BackupPolicyStore.inUseByRestores(on: db).contains(id) {
                throw AppError(.conflict, "Backup \(id) is in use by a restore; delete it once the restore has ended")
            }
            guard try await BackupStore.beginDelete(id, on: db) else { throw AppError(.conflict, "Backup \(id) is already being deleted") }
            return try await startOperation(
                OperationRequest(
                    type: .DELETE_BACKUP, projectId: project.id, instanceId: nil, target: ("backup", id),
                    parameters: ["backup_id": .string(id)], createdBy: principal.userId, allowed: [], newState: nil),
                on: db)
        }
        return (try await backup(id, projectId: project.id), try await operation(operationId, projectId: project.id))
    }
}
