import Foundation

extension ControlPlane {
    /// Restores a backup, or a moment, of an instance into a new instance named `name`: the source keeps running
    /// untouched (the safe way to look at the past). The new instance has the source's engine, version, resources
    /// and provider, no standby, no backup policy, and the restored data's databases and roles (its superuser gets
    /// a password of its own). A moment must be inside what the source's archive already holds. A logical backup
    /// may go to another (newer) `version`, which is how data moves between versions.
    func restoreIntoNewInstance(
        _ principal: Principal, project: Project, sourceId: String, backupId: String?, pointInTime: String?, name rawName: String,
        version requestedVersion: String? = nil
    ) async throws -> (Instance, Operation) {
        let source = try await instance(sourceId, projectId: project.id)
        try requireAction(.restore, source)
        let name = try Self.validateName(rawName, field: "target_instance_name")
        var parameters: [String: JSONValue] = ["source_instance_id": .string(source.id)]
        let backup: Backup
        if let pointInTime {
            let target = try Self.parsePointInTime(pointInTime)
            backup = try await pointInTimeBase(source, target: target, backupId: backupId, presentReachable: false)
            parameters["point_in_time"] = .int(Millis.from(target))
        } else {
            guard let backupId else {
                throw AppError.invalid(field: "backup_id", issue: "required", "give backup_id, point_in_time or both")
            }
            backup = try await self.backup(backupId, projectId: project.id)
            guard backup.instanceId == source.id else {
                throw AppError(.unprocessable, "Backup \(backupId) is not a backup of instance \(source.id)")
            }
        }
        guard backup.state == .SUCCEEDED else {
            throw AppError(.conflict, "Backup \(backup.id) is \(backup.state.rawValue); only SUCCEEDED backups can be restored")
        }
        var version = source.version
        if let requestedVersion, requestedVersion != source.version {
            guard backup.kind == "logical" else {
                throw AppError(.unprocessable, "Only a logical backup restores into another version; backup \(backup.id) is \(backup.kind)",
                    details: [["field": "version", "issue": "needs_logical_backup"]])
            }
            version = try Self.checkEngine(try provider(named: source.provider), engine: source.engine, version: requestedVersion)
            guard version.compare(source.version, options: .numeric) == .orderedDescending else {
                throw AppError(.unprocessable, "A backup moves to a newer version only (\(source.version) → \(version))",
                    details: [["field": "version", "issue": "not_newer"]])
            }
        }
        parameters["restore_backup_id"] = .string(backup.id)
        let now = clock.millis()
        let draft = Instance(
            instanceId: 0, id: ResourceID.make("inst"), projectId: project.id, name: name, engine: source.engine,
            version: version, region: source.region, provider: source.provider, state: .CREATING,
            resources: source.resources, highAvailability: false, labels: [:], endpoints: [], connection: nil,
            sealedCredential: nil, activeOperationId: nil, createdAt: now, updatedAt: now)
        let backend = store.backend
        let restoreParameters = parameters
        let (instanceId, operationId) = try await withDuplicateName(name) {
            try await withOperation { db in
                try await Self.lockProject(project.id, backend: backend, on: db)
                try await Self.checkQuota(project, addInstances: 1, addStorage: draft.resources.storage_gb, on: db)
                // Retention may have started deleting the backup since it was read.
                guard try await BackupStore.find(backup.id, projectId: nil, on: db)?.state == .SUCCEEDED else {
                    throw AppError(.conflict, "Backup \(backup.id) is being deleted")
                }
                let instance = try await InstanceStore.insert(draft, on: db)
                let operationId = try await startOperation(
                    OperationRequest(
                        type: .CREATE_INSTANCE, projectId: project.id, instanceId: instance.id, target: ("instance", instance.id),
                        parameters: .object(restoreParameters), createdBy: principal.userId, allowed: [.CREATING], newState: nil),
                    on: db)
                return (instance.id, operationId)
            }
        }
        return (try await instance(instanceId, projectId: project.id), try await operation(operationId, projectId: project.id))
    }
}
