import Foundation
import Logging
import SQLKit

/// The job kinds that carry out DBaaS operations. A failure is reported on the operation, never retried blindly.
/// A run whose worker died is run again: a provider that resumes (local) picks the operation up from its recorded
/// steps; any other fails it. Extra attempts exist only for that; once they are used up the instance is marked FAILED.
enum ControlPlaneJobs {
    static let attemptsAfterCrashes = 3

    static func kinds(plane: ControlPlane) -> [JobKind] {
        OperationType.allCases.map { type in
            JobKind(
                type.jobKind, timeout: .seconds(3600), maxAttempts: attemptsAfterCrashes, retryAfterWorkerLoss: true,
                retriesFailures: false, onGiveUp: { job in await plane.abandoned(job) },
                handler: { context in try await plane.execute(context) })
        }
    }
}

extension ControlPlane {
    /// Runs the operation behind a job.
    func execute(_ context: JobContext) async throws -> JSONValue? {
        guard let operation = try await store.read({ db in try await OperationStore.find(jobId: context.job.id, on: db) }) else {
            throw AppError(.notFound, "No operation for job \(context.job.id)")
        }
        switch operation.type {
        case .DELETE_BACKUP:
            try await deleteBackupFiles(operation)
            return nil
        default:
            guard let instanceId = operation.instanceId,
                let instance = try await store.read({ db in try await InstanceStore.find(id: instanceId, on: db) })
            else { throw AppError(.notFound, "Instance of operation \(operation.id) not found") }
            if context.job.attempts > 1, !resumable(operation, instance) {
                let error = AppError(.jobFailed, "The server stopped during this operation and it cannot be resumed")
                if providers.provider(instance.provider)?.resumesAfterCrash == true {
                    await fail(operation, instance: instance, error: error, context: context)
                } else {
                    await abandoned(context.job)
                }
                throw error
            }
            do {
                return try await run(operation, on: instance, context: context)
            } catch {
                await fail(operation, instance: instance, error: error, context: context)
                // The reason (and where both copies of the data are) goes into the operation's error.
                if let down = error as? InstanceDown { throw AppError(.jobFailed, down.message) }
                throw error
            }
        }
    }

    /// Whether a run after a crash can pick this operation up (database and database-user changes are not resumed).
    private func resumable(_ operation: Operation, _ instance: Instance) -> Bool {
        guard providers.provider(instance.provider)?.resumesAfterCrash == true else { return false }
        // A create that restores into the new instance starts over only by failing (the failed create is removed).
        if operation.type == .CREATE_INSTANCE, operation.parameters["restore_backup_id"] != nil { return false }
        return ![.CREATE_USER, .UPDATE_USER, .DELETE_USER, .CREATE_DATABASE, .DELETE_DATABASE].contains(operation.type)
    }

    private func providerContext(_ instance: Instance, _ context: JobContext, operation: Operation? = nil) throws -> ProviderContext {
        let credential = try instance.sealedCredential.map { JSONText.decode(try secrets.open($0)) }
        var providerContext = ProviderContext(
            instance: instance, credential: credential, logger: context.logger,
            progress: { percent, message in await context.progress(percent, message) })
        guard let operation else { return providerContext }
        let attempt = context.job.attempts
        let store = self.store
        providerContext.operationId = operation.id
        providerContext.resuming = attempt > 1
        providerContext.completedSteps = OperationStore.steps(operation.parameters)
        providerContext.step = { name in
            FaultPoint.reach(name, attempt: attempt)
            try await store.write { db in try await OperationStore.appendStep(operation.id, name, on: db) }
        }
        return providerContext
    }

    private func run(_ operation: Operation, on instance: Instance, context: JobContext) async throws -> JSONValue? {
        let provider = try provider(named: instance.provider)
        var providerContext = try providerContext(instance, context, operation: operation)
        let clock = self.clock
        let now: @Sendable () -> Int64 = { clock.millis() }
        switch operation.type {
        case .CREATE_INSTANCE:
            let result = try await provider.create(providerContext)
            let sealed = try result.credential.map { try secrets.seal(JSONText.encode($0)) }
            if let credential = result.credential {
                var created = instance
                created.endpoints = result.endpoints
                providerContext.instance = created
                providerContext.credential = credential
            }
            if let backupId = operation.parameters["restore_backup_id"]?.stringValue {
                // A new instance made from a backup: its data is the backup's, not a default database.
                await context.progress(50, "restoring the backup into the new instance")
                let backup = try await backup(backupId, projectId: operation.projectId)
                let target = operation.parameters["point_in_time"]?.intValue.map(Millis.date)
                try await provider.restore(providerContext, from: backup, until: target)
            } else {
                try await createDefaults(operation, instance: providerContext.instance, provider: provider, context: providerContext)
            }
            try await store.write { db in
                try await InstanceStore.end(id: instance.id, operationId: operation.id, state: .RUNNING, result: result,
                    sealedCredential: sealed, now: now(), on: db)
            }
        case .UPDATE_INSTANCE:
            var target = instance
            if let resources = operation.parameters["resources"] {
                target.resources = try JSONDecoder().decode(Resources.self, from: JSONEncoder().encode(resources))
            }
            if case .bool(let ha)? = operation.parameters["high_availability"] { target.highAvailability = ha }
            let archiving = try operation.parameters["backup_policy"].map {
                try JSONDecoder().decode(BackupPolicy.self, from: JSONEncoder().encode($0)).pitr_enabled
            }
            if let archiving {
                var policy = instance.backupPolicy ?? .defaults
                policy.pitr_enabled = archiving
                target.backupPolicy = policy
            }
            providerContext.instance = target
            let result = try await provider.update(providerContext, from: instance)
            let applied = target
            try await store.write { db in
                try await InstanceStore.applyShape(applied, on: db)
                if let archiving { try await Self.applyArchiving(instance.id, archiving, on: db) }
                try await InstanceStore.end(id: instance.id, operationId: operation.id, state: .RUNNING, result: result,
                    sealedCredential: nil, now: now(), on: db)
            }
        case .DELETE_INSTANCE:
            try await provider.delete(providerContext)
            try await store.write { db in
                try await InstanceStore.end(id: instance.id, operationId: operation.id, state: .DELETED, result: nil,
                    sealedCredential: nil, deletedAt: now(), now: now(), on: db)
                try await DatabaseUserStore.deleteAll(instanceId: instance.id, on: db)
                try await ManagedDatabaseStore.removeAll(instanceId: instance.id, on: db)
            }
            instanceEvents.changed()
        case .RESTART_INSTANCE:
            try await provider.restart(providerContext)
            try await endRunning(instance, operation, result: nil)
        case .FAILOVER_INSTANCE:
            let result = try await provider.failover(providerContext)
            try await endRunning(instance, operation, result: result)
            var report = result.report
            report["endpoints"] = JSONValue.encode(result.endpoints)
            return .object(report)
        case .RESTORE_INSTANCE:
            guard let backupId = operation.parameters["backup_id"]?.stringValue else { throw AppError(.configInvalidRequest) }
            let backup = try await backup(backupId, projectId: operation.projectId)
            let target = operation.parameters["point_in_time"]?.intValue.map(Millis.date)
            try await provider.restore(providerContext, from: backup, until: target)
            try await endRunning(instance, operation, result: nil)
        case .CREATE_BACKUP:
            guard let backupId = operation.parameters["backup_id"]?.stringValue else { throw AppError(.configInvalidRequest) }
            try await store.write { db in
                try await BackupStore.markRunning(backupId, now: now(), on: db)
            }
            let backup = try await backup(backupId, projectId: operation.projectId)
            let files = try await provider.backup(providerContext, backup: backup)
            var located = backup
            located.location = files.location
            let start = provider.archiveStart(of: located)
            let made = MadeBackup(
                sizeBytes: files.sizeBytes, location: files.location, recoverableFrom: start?.recoverableFrom, walStart: start?.walStart)
            try await store.write { db in
                try await BackupStore.markSucceeded(backupId, made: made, now: now(), on: db)
                try await InstanceStore.end(id: instance.id, operationId: operation.id, state: .RUNNING, result: nil,
                    sealedCredential: nil, now: now(), on: db)
            }
            return ["size_bytes": .int(made.sizeBytes)]
        case .CREATE_USER, .UPDATE_USER, .DELETE_USER:
            try await runUserOperation(operation, instance: instance, provider: provider, context: providerContext)
        case .CREATE_DATABASE, .DELETE_DATABASE:
            try await runDatabaseOperation(operation, instance: instance, provider: provider, context: providerContext)
        case .DELETE_BACKUP:
            break
        }
        return nil
    }

    private func endRunning(_ instance: Instance, _ operation: Operation, result: ProvisionResult?) async throws {
        let now = clock.millis()
        try await store.write { db in
            try await InstanceStore.end(id: instance.id, operationId: operation.id, state: .RUNNING, result: result,
                sealedCredential: nil, now: now, on: db)
        }
    }

    private func runUserOperation(_ operation: Operation, instance: Instance, provider: any Provider, context: ProviderContext) async throws {
        guard let userId = operation.parameters["user_id"]?.stringValue else { throw AppError(.configInvalidRequest) }
        let user = try await databaseUser(userId, projectId: operation.projectId, instanceId: instance.id)
        let now = clock.millis()
        if operation.type == .DELETE_USER {
            try await provider.dropUser(context, name: user.name)
            try await store.write { db in
                try await DatabaseUserStore.setState(userId, "DELETED", now: now, on: db)
                try await Self.releaseInstance(instance.id, operation.id, on: db)
            }
            return
        }
        let password = try operation.parameters["password_sealed"]?.stringValue.map { try secrets.open($0) }
        func decode<T: Decodable>(_ key: String, _ type: T.Type) throws -> T? {
            guard let value = operation.parameters[key] else { return nil }
            return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
        }
        let change = UserChange(
            name: user.name, password: password, login: try decode("login", Bool.self) ?? user.login,
            connectionLimit: try decode("connection_limit", Int.self) ?? user.connectionLimit,
            roles: try decode("roles", [String].self) ?? user.roles,
            privileges: try decode("privileges", [String: [String]].self) ?? user.privileges)
        try await provider.applyUser(context, change, creating: operation.type == .CREATE_USER)
        try await store.write { db in
            try await DatabaseUserStore.markActive(userId, change: change, now: now, on: db)
            try await Self.eraseSecrets(operation.id, on: db)
            try await Self.releaseInstance(instance.id, operation.id, on: db)
        }
    }

    /// The password travels to the job sealed; once the job ends it is removed from the operation.
    static func eraseSecrets(_ operationId: String, on db: any SQLDatabase) async throws {
        guard let operation = try await OperationStore.find(projectId: nil, id: operationId, on: db),
            case .object(var parameters) = operation.parameters, parameters["password_sealed"] != nil
        else { return }
        parameters.removeValue(forKey: "password_sealed")
        try await OperationStore.setParameters(operationId, .object(parameters), on: db)
    }

    /// Stores the archiving setting an update applied (the rest of the policy may have changed meanwhile); once
    /// archiving stops, no earlier backup can start a point-in-time restore.
    static func applyArchiving(_ instanceId: String, _ archiving: Bool, on db: any SQLDatabase) async throws {
        var policy = try await InstanceStore.find(id: instanceId, on: db)?.backupPolicy ?? .defaults
        policy.pitr_enabled = archiving
        try await BackupPolicyStore.setPolicy(instanceId, policy, anchorAt: nil, on: db)
        if !archiving { try await BackupPolicyStore.forgetArchiveStarts(instanceId: instanceId, on: db) }
    }

    static func releaseInstance(_ instanceId: String, _ operationId: String, on db: any SQLDatabase) async throws {
        try await InstanceStore.release(instanceId, operationId: operationId, on: db)
    }

    /// Puts the instance (and backup/user rows) into the state a failed or cancelled operation leaves.
    func fail(_ operation: Operation, instance: Instance, error: any Error, context: JobContext) async {
        let now = clock.millis()
        let code = (error as? AppError)?.code.name ?? (error is CancellationError ? "JOB_CANCELLED" : "JOB_FAILED")
        let message = (error as? AppError)?.message ?? (error is CancellationError ? "Cancelled" : "Operation failed")
        if operation.type == .CREATE_INSTANCE, let provider = providers.provider(instance.provider),
            let providerContext = try? providerContext(instance, context)
        {
            // Nothing half-made stays behind a failed create.
            try? await provider.delete(providerContext)
        }
        let state: InstanceState
        switch operation.type {
        case _ where error is InstanceDown: state = .FAILED
        case .CREATE_INSTANCE, .DELETE_INSTANCE: state = .FAILED
        default: state = operation.parameters["from_state"]?.stringValue.flatMap(InstanceState.init(rawValue:)) ?? instance.state
        }
        _ = try? await store.write { db in
            if let backupId = operation.parameters["backup_id"]?.stringValue, operation.type == .CREATE_BACKUP {
                try await BackupStore.markFailed(backupId, code: code, message: message, now: now, on: db)
            }
            if operation.type == .CREATE_USER, let userId = operation.parameters["user_id"]?.stringValue {
                try await DatabaseUserStore.setState(userId, "FAILED", now: now, on: db)
            }
            if let name = operation.parameters["database"]?.stringValue {
                // A database that could not be created is FAILED (drop it to retry); one that could not be dropped stays.
                let state = operation.type == .CREATE_DATABASE ? "FAILED" : "ACTIVE"
                try await ManagedDatabaseStore.setState(instanceId: instance.id, name: name, state, now: now, on: db)
            }
            try await Self.eraseSecrets(operation.id, on: db)
            try await InstanceStore.end(id: instance.id, operationId: operation.id, state: state, result: nil,
                sealedCredential: nil, now: now, on: db)
        }
    }

    /// A run whose worker died once too often (every attempt was cut short): the instance is marked FAILED
    /// (reconciliation may bring it back) and released. Local operations never delete the only copy of anything
    /// on the way, so whatever the last run reached, the data is still on disk.
    /// A create that died half-way is cleaned up first, so no server of it keeps running.
    func abandoned(_ job: Job) async {
        if let operation = try? await store.read({ db in try await OperationStore.find(jobId: job.id, on: db) }),
            operation.type == .CREATE_INSTANCE, let instanceId = operation.instanceId,
            let instance = try? await store.read({ db in try await InstanceStore.find(id: instanceId, on: db) }),
            let provider = providers.provider(instance.provider)
        {
            let context = ProviderContext(
                instance: instance, credential: nil, logger: Logger(label: "fathom.recovery"), progress: { _, _ in })
            try? await provider.delete(context)
        }
        let now = clock.millis()
        _ = try? await store.write { db in
            guard let operation = try await OperationStore.find(jobId: job.id, on: db) else { return }
            try await Self.eraseSecrets(operation.id, on: db)
            if let instanceId = operation.instanceId {
                try await InstanceStore.end(id: instanceId, operationId: operation.id, state: .FAILED, result: nil,
                    sealedCredential: nil, now: now, on: db)
            }
            if operation.type == .DELETE_BACKUP, let backupId = operation.parameters["backup_id"]?.stringValue {
                try await BackupStore.markFailed(backupId, code: nil, message: nil, now: nil, on: db)
            }
            if operation.type == .CREATE_BACKUP {
                try await BackupStore.markFailed(
                    operation.targetId, code: "JOB_LEASE_EXPIRED", message: "The server stopped during every attempt of this backup",
                    now: now, on: db)
            }
        }
    }

    /// Releases what give-ups cut short by a crash left held (see `OperationStore.givenUpUnreleased`); returns how
    /// many operations it released.
    @discardableResult
    public func releaseGivenUp() async throws -> Int {
        let operations = try await store.read { db in try await OperationStore.givenUpUnreleased(on: db) }
        for operation in operations { await abandoned(operation.job) }
        return operations.count
    }

    private func deleteBackupFiles(_ operation: Operation) async throws {
        guard let backupId = operation.parameters["backup_id"]?.stringValue else { throw AppError(.configInvalidRequest) }
        let backup = try await store.read { db in
            try await BackupStore.find(backupId, projectId: nil, on: db)
        }
        guard let backup else { return }
        let instance = try await store.read { db in try await InstanceStore.find(id: backup.instanceId, on: db) }
        let provider = providers.provider(instance?.provider ?? "")
        do {
            try await provider?.deleteBackup(backup)
            let now = clock.millis()
            try await store.write { db in
                try await BackupStore.markDeleted(backupId, now: now, on: db)
            }
        } catch {
            _ = try? await store.write { db in
                try await BackupStore.markFailed(backupId, code: nil, message: nil, now: nil, on: db)
            }
            throw error
        }
    }
}

extension ControlPlane {
    /// Cancels an operation: a pending one ends at once and its instance goes back to where it was (a create
    /// that never started leaves no instance); a running one is asked to stop and settles when its handler does.
    func cancel(_ operation: Operation) async throws {
        guard let job = try await JobQueue(store: store, clock: clock).requestCancel(operation.job.id),
            job.state == .cancelled, job.attempts == 0
        else { return }
        let now = clock.millis()
        try await store.write { db in
            try await Self.eraseSecrets(operation.id, on: db)
            if let instanceId = operation.instanceId {
                let previous = operation.parameters["from_state"]?.stringValue.flatMap(InstanceState.init(rawValue:))
                let state: InstanceState = operation.type == .CREATE_INSTANCE ? .DELETED : (previous ?? .RUNNING)
                try await InstanceStore.end(
                    id: instanceId, operationId: operation.id, state: state, result: nil, sealedCredential: nil,
                    deletedAt: state == .DELETED ? now : nil, now: now, on: db)
            }
            switch operation.type {
            case .CREATE_BACKUP:
                try await BackupStore.markFailed(operation.targetId, code: "JOB_CANCELLED", message: "Cancelled", now: nil, on: db)
            case .DELETE_BACKUP:
                try await BackupStore.restoreSucceeded(operation.targetId, on: db)
            case .CREATE_USER:
                try await DatabaseUserStore.setState(operation.targetId, "DELETED", now: nil, on: db)
            case .CREATE_DATABASE:
                if let instanceId = operation.instanceId {
                    try await ManagedDatabaseStore.remove(instanceId: instanceId, name: operation.targetId, on: db)
                }
            case .DELETE_DATABASE:
                if let instanceId = operation.instanceId {
                    try await ManagedDatabaseStore.setState(instanceId: instanceId, name: operation.targetId, "ACTIVE", now: now, on: db)
                }
            default:
                break
            }
        }
    }
}
