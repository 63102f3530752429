import Foundation
import SQLKit

/// The DBaaS control plane's rules: tenancy, quotas, the instance state machine and operations.
public struct ControlPlane: Sendable {
    let store: Store
    let clock: WallClock
    let secrets: SecretBox
    let projects: ProjectStore
    let access: ProjectAccess
    public let providers: ProviderRegistry
    let signer: PageTokenSigner
    let runner: JobRunner
    let jobKinds: JobRegistry
    let defaultProvider: String
    /// Told when an instance is renamed, relabelled or deleted (the ledger's order and counts follow instances).
    let instanceEvents: InstanceEvents

    init(
        store: Store, clock: WallClock, secrets: SecretBox, providers: ProviderRegistry, runner: JobRunner,
        jobKinds: JobRegistry, defaultProvider: String, tenancy: ProjectAccess, instanceEvents: InstanceEvents
    ) {
        self.store = store
        self.clock = clock
        self.secrets = secrets
        projects = ProjectStore(store: store)
        access = tenancy
        self.providers = providers
        signer = PageTokenSigner(secrets: secrets)
        self.runner = runner
        self.jobKinds = jobKinds
        self.defaultProvider = defaultProvider
        self.instanceEvents = instanceEvents
    }

    /// Everything needed to start an operation.
    struct OperationRequest: Sendable {
        var type: OperationType
        var projectId: String
        var instanceId: String?
        var target: (type: String, id: String)
        var parameters: JSONValue
        var createdBy: String
        /// States the instance must be in; the instance becomes `newState` (unchanged when nil).
        var allowed: [InstanceState]
        var newState: InstanceState?
    }

    /// Creates the job and the operation and takes the instance, in the caller's transaction. Throws
    /// `OperationConflict` when the instance is in the wrong state or busy (the transaction then rolls back).
    func startOperation(_ request: OperationRequest, on db: any SQLDatabase) async throws -> String {
        let now = clock.millis()
        let operationId = ResourceID.make("op")
        let jobId = try await JobQueue.insert(
            NewJob(kind: request.type.jobKind, payload: ["operation_id": .string(operationId)], projectId: request.projectId),
            maxAttempts: jobKinds.kind(request.type.jobKind)?.maxAttempts ?? 1, now: now, on: db)
        try await OperationStore.insert(
            id: operationId, projectId: request.projectId, instanceId: request.instanceId, type: request.type,
            target: request.target, parameters: request.parameters, createdBy: request.createdBy, jobId: jobId, now: now,
            on: db)
        if let instanceId = request.instanceId {
            guard try await InstanceStore.begin(
                id: instanceId, operationId: operationId, allowed: request.allowed, newState: request.newState, now: now,
                on: db)
            else { throw OperationConflict(instanceId: instanceId, allowed: request.allowed, type: request.type) }
        }
        return operationId
    }

    struct OperationConflict: Error {
        var instanceId: String
        var allowed: [InstanceState]
        var type: OperationType
    }

    /// Turns a refused `begin` into the 409 the contract asks for: the blocking operation, or the state.
    func explain(_ conflict: OperationConflict) async throws -> AppError {
        try await store.read { db in
            guard let instance = try await InstanceStore.find(id: conflict.instanceId, on: db) else {
                return AppError(.notFound, "Instance '\(conflict.instanceId)' not found")
            }
            if let active = instance.activeOperationId, let operation = try await OperationStore.find(projectId: nil, id: active, on: db),
                !operation.state.isFinal
            {
                return AppError(
                    .operationInProgress,
                    "Instance \(instance.id) is busy with operation \(operation.id) (\(operation.type.rawValue), \(operation.state.rawValue))",
                    details: [["operation_id": .string(operation.id), "type": .string(operation.type.rawValue), "state": .string(operation.state.rawValue)]])
            }
            return AppError(
                .conflict,
                "\(conflict.type.rawValue) is not allowed while the instance is \(instance.state.rawValue) (allowed: \(conflict.allowed.map(\.rawValue).joined(separator: ", ")))",
                details: [["state": .string(instance.state.rawValue)]])
        }
    }

    /// Runs `body` (which starts an operation) in a transaction and maps conflicts; wakes the runner after commit.
    func withOperation<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            let result = try await store.write(body)
            runner.wake()
            return result
        } catch let conflict as OperationConflict {
            throw try await explain(conflict)
        }
    }

    func operation(_ id: String, projectId: String) async throws -> Operation {
        guard let operation = try await store.read({ db in try await OperationStore.find(projectId: projectId, id: id, on: db) })
        else { throw AppError(.notFound, "Operation '\(id)' not found") }
        return operation
    }

    func instance(_ id: String, projectId: String) async throws -> Instance {
        guard let instance = try await store.read({ db in try await InstanceStore.find(projectId: projectId, id: id, on: db) }),
            instance.state != .DELETED
        else { throw AppError(.notFound, "Instance '\(id)' not found") }
        return instance
    }

    func provider(named name: String) throws -> any Provider {
        guard let provider = providers.provider(name) else {
            throw AppError(
                .unprocessable, "Provider '\(name)' is not available; available: \(providers.names.joined(separator: ", "))",
                details: [["field": "provider", "supported": .array(providers.names.map { .string($0) })]])
        }
        return provider
    }
}
