import Foundation
import SQLKit

/// `POST /v1/projects/{pid}/instances` body.
struct CreateInstanceBody: StrictBody {
    var name: String
    var engine: String
    var version: String?
    var region: String?
    var resources: Resources?
    var provider: String?
    var high_availability: Bool?
    var labels: [String: String]?
    var connection: ExternalConnection?
    var credential: CredentialBody?
    /// The default database (`app`) and the user that owns it (`app_owner`) unless named; providers that make servers only.
    var database: String?
    var user: String?
    var backup_policy: BackupPolicyBody?
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, engine, version, region, resources, provider, high_availability, labels, connection, credential, database, user
        case backup_policy
    }
}

/// Username and password of an existing server's account (external instances).
struct CredentialBody: Codable, Sendable {
    var username: String
    var password: String
}

/// `PATCH /v1/projects/{pid}/instances/{id}` body.
struct UpdateInstanceBody: StrictBody {
    var name: String?
    var labels: [String: String]?
    var resources: Resources?
    var high_availability: Bool?
    var backup_policy: BackupPolicyBody?
    enum CodingKeys: String, CodingKey, CaseIterable { case name, labels, resources, high_availability, backup_policy }
}

extension ControlPlane {
    static let defaultResources = Resources(cpu: 1, memory_gb: 1, storage_gb: 10)

    /// Creates an instance; providers that make servers also make a default database owned by a default user, whose
    /// generated password is returned here once (third element).
    func createInstance(_ principal: Principal, project: Project, _ body: CreateInstanceBody) async throws
        -> (Instance, Operation, (name: String, password: String)?)
    {
        let name = try Self.validateName(body.name)
        let labels = try Self.validateLabels(body.labels ?? [:])
        let resources = body.resources ?? Self.defaultResources
        try resources.validate()
        let policy = try body.backup_policy.map { try $0.merged(over: .defaults) }
        let providerName = body.provider ?? (body.connection != nil ? "external" : defaultProvider)
        let provider = try provider(named: providerName)
        try Self.checkPolicy(policy, provider: provider)
        let version = try Self.checkEngine(provider, engine: body.engine, version: body.version)
        var sealedCredential: String?
        if providerName == "external" {
            guard let connection = body.connection, let credential = body.credential else {
                throw AppError.invalid(
                    field: body.connection == nil ? "connection" : "credential", issue: "required",
                    "external instances need connection {host, port, database} and credential {username, password}")
            }
            guard !connection.host.isEmpty, (1...65_535).contains(connection.port), !connection.database.isEmpty else {
                throw AppError.invalid(field: "connection", issue: "invalid", "connection needs host, a port 1-65535 and database")
            }
            sealedCredential = try secrets.seal(JSONText.encode(["username": .string(credential.username), "password": .string(credential.password)]))
        } else if body.connection != nil || body.credential != nil {
            throw AppError.invalid(field: "connection", issue: "not_allowed", "connection and credential are only for provider external")
        }
        if body.high_availability == true && !provider.supportedActions.contains(.failover) {
            throw AppError(.unprocessable, "Provider '\(providerName)' does not offer high availability")
        }
        let makesDefaults = provider.supportedActions.contains(.databases)
        if !makesDefaults && (body.database != nil || body.user != nil) {
            throw AppError.invalid(field: "database", issue: "not_allowed", "provider '\(providerName)' does not create databases")
        }
        let defaultDatabase = try makesDefaults ? Self.validateDatabaseName(body.database ?? "app") : nil
        let defaultUser = try makesDefaults ? Self.validateRoleName(body.user ?? "app_owner", field: "user") : nil
        let password = makesDefaults ? Credentials.randomPassword() : nil
        let sealedPassword = try password.map { try secrets.seal($0) }
        let userId = ResourceID.make("dbu")
        let now = clock.millis()
        var draft = Instance(
            instanceId: 0, id: ResourceID.make("inst"), projectId: project.id, name: name, engine: body.engine,
            version: version, region: body.region ?? "local", provider: providerName, state: .CREATING,
            resources: resources, highAvailability: body.high_availability ?? false, labels: labels, endpoints: [],
            connection: body.connection, sealedCredential: sealedCredential, activeOperationId: nil, createdAt: now,
            updatedAt: now)
        draft.defaultDatabase = defaultDatabase
        draft.defaultUser = defaultUser
        draft.backupPolicy = policy
        draft.backupAnchorAt = policy.map { _ in now }
        let creation = draft
        let backend = store.backend
        let (instanceId, operationId) = try await withDuplicateName(name) {
            try await withOperation { db in
                try await Self.lockProject(project.id, backend: backend, on: db)
                try await Self.checkQuota(project, addInstances: 1, addStorage: resources.storage_gb, on: db)
                let instance = try await InstanceStore.insert(creation, on: db)
                var parameters: [String: JSONValue] = [:]
                if let defaultDatabase, let defaultUser, let sealedPassword {
                    try await DatabaseUserStore.insert(
                        id: userId, projectId: project.id, instanceId: instance.id, name: defaultUser, roles: [],
                        privileges: [defaultDatabase: ["CONNECT", "CREATE", "TEMPORARY"]], connectionLimit: -1, login: true,
                        now: now, on: db)
                    try await ManagedDatabaseStore.insert(
                        ManagedDatabase(
                            projectId: project.id, instanceId: instance.id, name: defaultDatabase, owner: defaultUser,
                            encoding: "UTF8", locale: "C.UTF-8", state: "CREATING", createdAt: now, updatedAt: now),
                        on: db)
                    parameters = ["user_id": .string(userId), "password_sealed": .string(sealedPassword)]
                }
                let operationId = try await startOperation(
                    OperationRequest(
                        type: .CREATE_INSTANCE, projectId: project.id, instanceId: instance.id,
                        target: ("instance", instance.id), parameters: .object(parameters), createdBy: principal.userId,
                        allowed: [.CREATING], newState: nil),
                    on: db)
                return (instance.id, operationId)
            }
        }
        return (
            try await self.instance(instanceId, projectId: project.id), try await operation(operationId, projectId: project.id),
            defaultUser.flatMap { name in password.map { (name, $0) } }
        )
    }

    /// Name, labels and the backup schedule/retention change at once; resources, high availability or turning WAL
    /// archiving on or off start an UPDATE_INSTANCE operation (the server's settings change), which stores
    /// `pitr_enabled` when it has been applied.
    func updateInstance(_ principal: Principal, project: Project, id: String, _ body: UpdateInstanceBody) async throws
        -> (Instance, Operation?)
    {
        let current = try await instance(id, projectId: project.id)
        let name = try body.name.map { try Self.validateName($0) }
        let labels = try body.labels.map { try Self.validateLabels($0) }
        try body.resources?.validate()
        let policy = try body.backup_policy.map { try $0.merged(over: current.backupPolicy ?? .defaults) }
        let pitrChanges = policy.map { $0.pitr_enabled != (current.backupPolicy?.pitr_enabled ?? false) } ?? false
        let changesShape = (body.resources.map { $0 != current.resources } ?? false)
            || (body.high_availability.map { $0 != current.highAvailability } ?? false) || pitrChanges
        if name == nil && labels == nil && !changesShape && body.resources == nil && body.high_availability == nil && policy == nil {
            throw AppError.invalid(field: "body", issue: "empty", "give at least one of name, labels, resources, high_availability, backup_policy")
        }
        guard current.state != .DELETING else {
            throw AppError(.conflict, "Instance \(id) is being deleted")
        }
        if changesShape {
            let provider = try provider(named: current.provider)
            guard provider.supportedActions.contains(.update) else {
                throw AppError(.unprocessable, "Provider '\(current.provider)' cannot change resources")
            }
            if body.high_availability == true && !provider.supportedActions.contains(.failover) {
                throw AppError(.unprocessable, "Provider '\(current.provider)' does not offer high availability")
            }
        }
        if let policy { try Self.checkPolicy(policy, provider: try provider(named: current.provider)) }
        let now = clock.millis()
        let backend = store.backend
        // Until the operation has applied it, the stored policy keeps the current archiving setting.
        var storedNow = policy
        storedNow?.pitr_enabled = current.backupPolicy?.pitr_enabled ?? false
        let immediatePolicy = storedNow
        let operationId: String? = try await withDuplicateName(name ?? current.name) {
            try await withOperation { db in
                if let name {
                    try await InstanceStore.rename(id, to: name, now: now, on: db)
                }
                if let labels {
                    try await InstanceStore.setLabels(current.instanceId, labels, on: db)
                    try await InstanceStore.touch(id, now: now, on: db)
                }
                if let immediatePolicy {
                    try await BackupPolicyStore.setPolicy(
                        id, immediatePolicy, anchorAt: immediatePolicy.retimes(from: current.backupPolicy) ? now : nil, on: db)
                    if immediatePolicy.retention_days != current.backupPolicy?.retention_days {
                        try await BackupPolicyStore.setExpiry(
                            instanceId: id, retentionMillis: Int64(immediatePolicy.retention_days) * Self.dayMillis, on: db)
                    }
                    try await InstanceStore.touch(id, now: now, on: db)
                }
                guard changesShape else { return nil }
                let target = body.resources ?? current.resources
                try await Self.lockProject(project.id, backend: backend, on: db)
                try await Self.checkQuota(project, addInstances: 0, addStorage: target.storage_gb - current.resources.storage_gb, on: db)
                var parameters: [String: JSONValue] = [
                    "resources": JSONValue.encode(target),
                    "high_availability": .bool(body.high_availability ?? current.highAvailability),
                ]
                if pitrChanges, let policy { parameters["backup_policy"] = JSONValue.encode(policy) }
                let operationId = try await startOperation(
                    OperationRequest(
                        type: .UPDATE_INSTANCE, projectId: project.id, instanceId: id, target: ("instance", id),
                        parameters: .object(parameters), createdBy: principal.userId, allowed: [.RUNNING, .STOPPED], newState: nil),
                    on: db)
                return operationId
            }
        }
        if name != nil || labels != nil { instanceEvents.changed() }
        let updated = try await instance(id, projectId: project.id)
        guard let operationId else { return (updated, nil) }
        return (updated, try await operation(operationId, projectId: project.id))
    }

    /// WAL archiving needs a provider that does it.
    static func checkPolicy(_ policy: BackupPolicy?, provider: any Provider) throws {
        guard let policy else { return }
        if policy.pitr_enabled && !provider.supportedActions.contains(.pitr) {
            throw AppError(.unprocessable, "Provider '\(provider.name)' does not archive WAL (backup_policy.pitr_enabled)",
                details: [["field": "backup_policy.pitr_enabled", "issue": "not_supported"]])
        }
        if policy.enabled && !provider.supportedActions.contains(.backup) {
            throw AppError(.unprocessable, "Provider '\(provider.name)' does not make backups (backup_policy.enabled)",
                details: [["field": "backup_policy.enabled", "issue": "not_supported"]])
        }
    }

    func deleteInstance(_ principal: Principal, project: Project, id: String) async throws -> (Instance, Operation) {
        _ = try await instance(id, projectId: project.id)
        return try await instanceAction(principal, project: project, id: id, type: .DELETE_INSTANCE, parameters: [:],
            allowed: [.RUNNING, .STOPPED, .FAILED], newState: .DELETING)
    }

    func restartInstance(_ principal: Principal, project: Project, id: String) async throws -> (Instance, Operation) {
        let current = try await instance(id, projectId: project.id)
        try requireAction(.restart, current)
        return try await instanceAction(principal, project: project, id: id, type: .RESTART_INSTANCE, parameters: [:],
            allowed: [.RUNNING, .STOPPED, .FAILED], newState: .RESTARTING)
    }

    func failoverInstance(_ principal: Principal, project: Project, id: String) async throws -> (Instance, Operation) {
        let current = try await instance(id, projectId: project.id)
        try requireAction(.failover, current)
        guard current.highAvailability, current.endpoints.contains(where: { $0.role == .standby }) || current.state != .RUNNING else {
            throw AppError(.conflict, "Instance \(id) has no standby to fail over to; enable high_availability first")
        }
        return try await instanceAction(principal, project: project, id: id, type: .FAILOVER_INSTANCE, parameters: [:],
            allowed: [.RUNNING], newState: .FAILING_OVER)
    }

    /// Restores a backup, or (with `point_in_time`) the latest base backup before that moment plus WAL replay to it.
    func restoreInstance(
        _ principal: Principal, project: Project, id: String, backupId: String?, pointInTime: String? = nil
    ) async throws -> (Instance, Operation) {
        let current = try await instance(id, projectId: project.id)
        try requireAction(.restore, current)
        var parameters: [String: JSONValue] = [:]
        let backup: Backup
        if let pointInTime {
            let target = try Self.parsePointInTime(pointInTime)
            backup = try await pointInTimeBase(current, target: target, backupId: backupId)
            parameters["point_in_time"] = .int(Millis.from(target))
        } else {
            guard let backupId else {
                throw AppError.invalid(field: "backup_id", issue: "required", "give backup_id, point_in_time or both")
            }
            backup = try await self.backup(backupId, projectId: project.id)
        }
        guard backup.state == .SUCCEEDED else {
            throw AppError(.conflict, "Backup \(backup.id) is \(backup.state.rawValue); only SUCCEEDED backups can be restored")
        }
        guard backup.kind == "full" else {
            throw AppError(.unprocessable, "Backup \(backup.id) is a logical backup: restore it into a new instance (target_instance_name)",
                details: [["field": "backup_id", "issue": "logical_backup"]])
        }
        guard let source = try await store.read({ db in try await InstanceStore.find(id: backup.instanceId, on: db) }),
            source.engine == current.engine, source.version == current.version
        else {
            throw AppError(.unprocessable, "Backup \(backup.id) is not from a \(current.engine) \(current.version) instance")
        }
        parameters["backup_id"] = .string(backup.id)
        return try await instanceAction(principal, project: project, id: id, type: .RESTORE_INSTANCE,
            parameters: .object(parameters), allowed: [.RUNNING, .STOPPED, .FAILED], newState: .RESTORING,
            check: { db in
                // Retention may have started deleting it since it was read.
                guard try await BackupStore.find(backup.id, projectId: nil, on: db)?.state == .SUCCEEDED else {
                    throw AppError(.conflict, "Backup \(backup.id) is being deleted")
                }
            })
    }

    func instanceAction(
        _ principal: Principal, project: Project, id: String, type: OperationType, parameters: JSONValue,
        allowed: [InstanceState], newState: InstanceState,
        check: @escaping @Sendable (any SQLDatabase) async throws -> Void = { _ in }
    ) async throws -> (Instance, Operation) {
        let current = try await instance(id, projectId: project.id)
        var params = parameters
        if case .object(var object) = params {
            object["from_state"] = .string(current.state.rawValue)
            params = .object(object)
        }
        let request = OperationRequest(
            type: type, projectId: project.id, instanceId: id, target: ("instance", id), parameters: params,
            createdBy: principal.userId, allowed: allowed, newState: newState)
        let operationId = try await withOperation { db in
            try await check(db)
            return try await startOperation(request, on: db)
        }
        return (try await instance(id, projectId: project.id), try await operation(operationId, projectId: project.id))
    }

    func requireAction(_ action: ProviderAction, _ instance: Instance) throws {
        guard try provider(named: instance.provider).supportedActions.contains(action) else {
            throw AppError(.unprocessable, "Provider '\(instance.provider)' does not support \(action.rawValue)")
        }
    }

    /// The version to use: the given one if offered, else the newest offered; 422 lists what is supported.
    static func checkEngine(_ provider: any Provider, engine: String, version: String?) throws -> String {
        let engines = provider.engines()
        guard let versions = engines[engine] else {
            let reason = provider.unavailableReason.map { " (\($0))" } ?? ""
            throw AppError(
                .engineNotSupported,
                "Engine '\(engine)' is not supported by provider '\(provider.name)'\(reason); supported: \(engines.keys.sorted().joined(separator: ", "))",
                details: engines.sorted { $0.key < $1.key }.map { ["engine": .string($0.key), "versions": .array($0.value.map { .string($0) })] })
        }
        // An empty list means any version (the provider learns it from the server).
        if versions.isEmpty { return version ?? "" }
        guard let version else { return versions.sorted { $0.compare($1, options: .numeric) == .orderedAscending }.last ?? "" }
        guard versions.contains(version) else {
            throw AppError(
                .engineNotSupported, "\(engine) \(version) is not supported; supported versions: \(versions.joined(separator: ", "))",
                details: [["engine": .string(engine), "versions": .array(versions.map { .string($0) })]])
        }
        return version
    }

    static func validateLabels(_ labels: [String: String]) throws -> [String: String] {
        guard labels.count <= 64 else { throw AppError.invalid(field: "labels", issue: "too_many", "at most 64 labels") }
        let keyCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")
        for (key, value) in labels {
            guard (1...63).contains(key.count), key.allSatisfy(keyCharacters.contains) else {
                throw AppError.invalid(field: "labels.\(key)", issue: "invalid", "label keys are 1-63 of letters, digits, '-', '_', '.', '/'")
            }
            guard value.count <= 255 else {
                throw AppError.invalid(field: "labels.\(key)", issue: "too_long", "label values are at most 255 characters")
            }
        }
        return labels
    }

    /// On PostgreSQL, serializes quota checks of one project (SQLite already has one writer).
    static func lockProject(_ id: String, backend: Store.Backend, on db: any SQLDatabase) async throws {
        guard backend == .postgres else { return }
        try await ProjectStore.lockRow(id, on: db)
    }

    static func checkQuota(_ project: Project, addInstances: Int, addStorage: Int, on db: any SQLDatabase) async throws {
        let usage = try await ProjectStore.usage(project.id, on: db)
        let instances = usage.instances
        let storage = usage.storage_gb
        if addInstances > 0 && instances + addInstances > project.quotaInstances {
            throw AppError(
                .quotaExceeded, "Instance limit exceeded: \(instances)/\(project.quotaInstances) instances used",
                details: [["resource": "instances", "limit": .int(Int64(project.quotaInstances)), "current": .int(Int64(instances))]])
        }
        // Backups and WAL archives take storage too: they count, to the byte, beside what instances are allocated.
        let gib: Int64 = 1_073_741_824
        let kept = usage.backup_bytes + usage.wal_archive_bytes
        if addStorage > 0 && Int64(storage + addStorage) * gib + kept > Int64(project.quotaStorageGB) * gib {
            let keptText = kept > 0 ? " plus \(kept) bytes of backups and WAL archives" : ""
            throw AppError(
                .quotaExceeded,
                "Storage limit exceeded: \(storage) of \(project.quotaStorageGB) GiB used\(keptText), \(addStorage) more requested",
                details: [[
                    "resource": "storage_gb", "limit": .int(Int64(project.quotaStorageGB)), "current": .int(Int64(storage)),
                    "backup_bytes": .int(usage.backup_bytes), "wal_archive_bytes": .int(usage.wal_archive_bytes),
                ]])
        }
    }

    /// Maps a duplicate live name to 409 CONFIG_DUPLICATE_NAME.
    func withDuplicateName<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError where error.isUniqueViolation {
            throw AppError(.configDuplicateName, "An instance named '\(name)' already exists in this project")
        }
    }
}
