@testable import FathomKit
import Foundation
import SQLKit

/// Accounts recorded straight into the store (the sync's own recording step), for API tests that need no server.
enum AccountsFixture {
    /// An instance row (no server behind it) with labels; returns its integer id.
    static func instance(_ services: AppServices, name: String, labels: [String: String] = [:]) async throws -> Int64 {
        try await services.store.write { db in
            if try await db.raw("SELECT 1 AS one FROM projects WHERE id = 'proj-acc'").first() == nil {
                try await db.raw(
                    """
                    INSERT INTO projects (id, name, description, quota_instances, quota_storage_gb, created_at, updated_at)
                    VALUES ('proj-acc', 'acc', '', 10, 100, 0, 0)
                    """
                ).run()
            }
            return try await InstanceStore.insert(
                Instance(
                    instanceId: 0, id: "inst-\(name)", projectId: "proj-acc", name: name, engine: "postgresql", version: "15",
                    region: "local", provider: "external", state: .RUNNING, resources: Resources(cpu: 1, memory_gb: 1, storage_gb: 1),
                    highAvailability: false, labels: labels, endpoints: [Endpoint(host: "10.0.0.1", port: 5432, role: .primary)],
                    connection: nil, sealedCredential: nil, activeOperationId: nil, createdAt: 0, updatedAt: 0),
                on: db
            ).instanceId
        }
    }

    /// Records one sync of `accounts` for the instance, as a sync of a server would.
    @discardableResult
    static func record(_ services: AppServices, _ instanceId: Int64, _ accounts: [String: PermissionSnapshot]) async throws -> AccountSync.InstanceResult {
        let now = services.clock.millis()
        let date = services.clock.now()
        let result = try await services.store.write { db in
            try await AccountSync.record(accounts, instanceId: instanceId, dbType: "postgresql", runId: nil, now: now, date: date, on: db)
        }
        await services.accountCache.invalidate(.instance(instanceId))
        return result
    }

    static func snapshot(
        superuser: Bool = false, createrole: Bool = false, login: Bool = true, limit: Int64 = -1, roles: [String: Bool] = [:],
        databases: [String: [String]] = [:], tables: [String: [String]] = [:]
    ) -> PermissionSnapshot {
        var privileges: [String: [String: [String]]] = [:]
        if !databases.isEmpty { privileges["database"] = databases }
        if !tables.isEmpty { privileges["table"] = tables }
        return PermissionSnapshot(
            attributes: [
                "superuser": .bool(superuser), "createrole": .bool(createrole), "createdb": .bool(false), "login": .bool(login),
                "replication": .bool(false), "bypassrls": .bool(false), "inherit": .bool(true), "connection_limit": .int(limit),
                "valid_until": .null,
            ],
            roles: roles, privileges: privileges
        ).normalized()
    }
}
