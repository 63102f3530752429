import HTTPTypes
import HummingbirdTesting
@testable import FathomKit
import Foundation
import Synchronization

/// A test-only provider whose behaviour each test scripts: it records calls, can be held at a gate or made to
/// fail, and hands out loopback endpoints. It provisions nothing; the shipped providers are `external` and `local`.
final class ScriptedProvider: Provider, Sendable {
    let name = "scripted"
    var unavailableReason: String? { nil }
    var supportedActions: Set<ProviderAction> { Set(ProviderAction.allCases) }
    private let state = Mutex<(calls: [String], failing: Set<String>, held: Set<String>, nextPort: Int)>(([], [], [], 6000))

    func engines() -> [String: [String]] { ["postgresql": ["15", "16"]] }

    var calls: [String] { state.withLock { $0.calls } }
    func fail(_ action: String) { state.withLock { _ = $0.failing.insert(action) } }
    func hold(_ action: String) { state.withLock { _ = $0.held.insert(action) } }
    func release(_ action: String) { state.withLock { _ = $0.held.remove(action) } }

    private func step(_ action: String, _ context: ProviderContext) async throws {
        state.withLock { $0.calls.append(action) }
        await context.progress(30, "\(action) in progress")
        while state.withLock({ $0.held.contains(action) }) { try await Task.sleep(for: .milliseconds(10)) }
        if state.withLock({ $0.failing.contains(action) }) { throw AppError(.syncDataError, "scripted \(action) failure") }
    }

    private func endpoints(_ instance: Instance) -> [Endpoint] {
        let port = state.withLock { state -> Int in
            state.nextPort += 2
            return state.nextPort
        }
        var endpoints = [Endpoint(host: "127.0.0.1", port: port, role: .primary)]
        if instance.highAvailability { endpoints.append(Endpoint(host: "127.0.0.1", port: port + 1, role: .standby)) }
        return endpoints
    }

    func create(_ context: ProviderContext) async throws -> ProvisionResult {
        try await step("create", context)
        return ProvisionResult(endpoints: endpoints(context.instance), credential: ["username": "postgres", "password": "generated"])
    }

    func update(_ context: ProviderContext, from old: Instance) async throws -> ProvisionResult {
        try await step("update", context)
        return ProvisionResult(endpoints: endpoints(context.instance))
    }

    func delete(_ context: ProviderContext) async throws { try await step("delete", context) }
    func restart(_ context: ProviderContext) async throws { try await step("restart", context) }

    func failover(_ context: ProviderContext) async throws -> ProvisionResult {
        try await step("failover", context)
        let swapped = context.instance.endpoints.map { Endpoint(host: $0.host, port: $0.port, role: $0.role == .primary ? .standby : .primary) }
        return ProvisionResult(endpoints: swapped)
    }

    func backup(_ context: ProviderContext, backup: Backup) async throws -> (sizeBytes: Int64, location: String) {
        try await step("backup", context)
        return (4096, "scripted://\(backup.id)")
    }

    func deleteBackup(_ backup: Backup) async throws { state.withLock { $0.calls.append("deleteBackup") } }
    func restore(_ context: ProviderContext, from backup: Backup) async throws { try await step("restore", context) }

    func applyUser(_ context: ProviderContext, _ change: UserChange, creating: Bool) async throws {
        try await step(creating ? "createUser:\(change.name):\(change.password ?? "-")" : "updateUser:\(change.name):\(change.password ?? "-")", context)
    }

    func dropUser(_ context: ProviderContext, name: String) async throws { try await step("dropUser:\(name)", context) }
    func createDatabase(_ context: ProviderContext, _ spec: DatabaseSpec) async throws {
        try await step("createDatabase:\(spec.name):\(spec.owner)", context)
    }
    func dropDatabase(_ context: ProviderContext, name: String) async throws { try await step("dropDatabase:\(name)", context) }
}

/// A harness with the scripted provider registered and a helper to run the jobs until a condition holds.
struct DBaaSFixture: Sendable {
    let harness: Harness
    let provider = ScriptedProvider()

    var services: AppServices { harness.services }

    init(_ harness: Harness) {
        self.harness = harness
        harness.services.providers.register(provider)
    }

    /// Runs the job runner until `condition` holds (or `timeout` passes).
    func runJobs(timeout: Duration = .seconds(60), until condition: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        let runner = fastRunner(services)
        let loops = runner.start()
        // A met condition returns at once; the ceiling is generous for real servers on a loaded 2-core machine.
        let result = try await waitUntil(timeout: timeout, condition)
        await runner.stop(loops)
        return result
    }

    func operationState(_ id: String) async throws -> String? {
        try await services.store.read { db in
            try await OperationStore.find(projectId: nil, id: id, on: db).map { $0.state.rawValue }
        }
    }

    func instanceState(_ id: String) async throws -> String? {
        try await services.store.read { db in try await InstanceStore.find(id: id, on: db).map { $0.state.rawValue } }
    }
}

extension TestClientProtocol {
    /// Creates a project as `auth` and returns its id.
    func createProject(_ auth: Auth, name: String = "proj-\(Int.random(in: 1000...9999))", quotas: String = "") async throws -> String {
        let quotaField = quotas.isEmpty ? "" : #","quotas":\#(quotas)"#
        let name = name.lowercased().replacingOccurrences(of: "_", with: "-")
        let response = try await send(.post, "/v1/projects", auth: auth, json: #"{"name":"\#(name)"\#(quotaField)}"#)
        guard response.status == .created, let id = response.json["project"]?["id"]?.stringValue else {
            throw HarnessError("project creation failed: \(response.status) \(response.text)")
        }
        return id
    }

    func createInstance(_ auth: Auth, project: String, name: String, extra: String = "", headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(
            .post, "/v1/projects/\(project)/instances", auth: auth,
            json: #"{"name":"\#(name)","engine":"postgresql","version":"16","provider":"scripted","resources":{"cpu":1,"memory_gb":1,"storage_gb":10}\#(extra)}"#,
            headers: headers)
    }
}
