import Foundation
import Logging
import PostgresNIO
import SQLKit

/// Syncs accounts and their privileges from instances into the ledger, logging what changed since the last sync.
public struct AccountSync: Sendable {
    let store: Store
    let collector: CapacityCollector
    let clock: WallClock
    let logger: Logger
    let cache: AccountCache
    let classifier: ClassificationService

    /// What one instance's sync did.
    public struct InstanceResult: Sendable, Encodable, Equatable {
        public var accounts = 0
        public var created = 0
        public var refreshed = 0
        public var reactivated = 0
        public var deactivated = 0
        public var changes: [String: Int] = [:]
        public var classified = 0
    }

    /// The outcome of a run over several instances.
    public struct RunResult: Sendable, Encodable {
        public var instances: Int
        public var succeeded: Int
        public var accounts: Int
        public var failed: [[String: String]]
    }

    /// Reads every account of a PostgreSQL instance: attributes, memberships, database privileges (cluster-wide
    /// catalogs), then schema and table privileges database by database.
    func read(_ instance: Instance, timeout: Duration) async throws -> [String: PermissionSnapshot] {
        let logger = self.logger
        let target = try collector.target(instance)
        let cluster = try await PostgresSession.with(target, timeout: timeout, logger: logger) { connection in
            do {
                return try await PostgresAccountCatalog.cluster(connection, logger: logger)
            } catch {
                throw AppError(.syncDataError, "Reading roles of \(instance.id) failed: \(PostgresSession.describe(error))")
            }
        }
        var roles = cluster.roles
        var byOid: [UInt32: String] = [:]
        for (name, role) in roles { byOid[role.oid] = name }
        for database in cluster.databases {
            let found = try await PostgresSession.with(try collector.target(instance, database: database), timeout: timeout, logger: logger) { connection in
                do {
                    return try await PostgresAccountCatalog.objects(connection, database: database, logger: logger)
                } catch {
                    throw AppError(.syncDataError, "Reading privileges in \(database) failed: \(PostgresSession.describe(error))")
                }
            }
            for (oid, scopes) in found {
                guard let name = byOid[oid] else { continue }
                for (scope, objects) in scopes {
                    for (object, privileges) in objects { roles[name]?.snapshot.privileges[scope, default: [:]][object] = privileges }
                }
            }
        }
        return roles.mapValues { $0.snapshot.normalized() }
    }

    /// Syncs one instance: phase one the inventory (created, refreshed, reactivated, deactivated), phase two the
    /// privileges (snapshot, facts, change log), in one transaction; then the cache and the classification follow.
    public func sync(_ instance: Instance, runId: Int64? = nil, timeout: Duration = .seconds(30)) async throws -> InstanceResult {
        let accounts = try await read(instance, timeout: timeout)
        let now = clock.millis()
        let date = clock.now()
        let dbType = instance.engine
        let instanceId = instance.instanceId
        let result = try await store.write { db in
            try await Self.record(accounts, instanceId: instanceId, dbType: dbType, runId: runId, now: now, date: date, on: db)
        }
        await cache.invalidate(.instance(instanceId))
        var final = result
        final.classified = try await classifier.autoClassify(instanceId: instanceId).assigned
        return final
    }

    static func record(
        _ accounts: [String: PermissionSnapshot], instanceId: Int64, dbType: String, runId: Int64?, now: Int64, date: Date,
        on db: any SQLDatabase
    ) async throws -> InstanceResult {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var result = InstanceResult(accounts: accounts.count)
        let known = try await AccountStore.known(instanceId: instanceId, on: db)
        var changes: [AccountStore.Change] = []
        var unchanged: [Int64] = []
        for (username, snapshot) in accounts.sorted(by: { $0.key < $1.key }) {
            let text = String(decoding: try encoder.encode(snapshot), as: UTF8.self)
            let facts = String(decoding: try encoder.encode(snapshot.facts(now: date)), as: UTF8.self)
            let superuser = snapshot.isSuperuser
            let locked = snapshot.isLocked(now: date)
            guard let existing = known[username] else {
                let id = try await AccountStore.insert(
                    instanceId: instanceId, dbType: dbType, username: username, snapshot: text, facts: facts, superuser: superuser,
                    locked: locked, now: now, on: db)
                result.created += 1
                let diff = PermissionDiff.diff(from: nil, to: snapshot)
                changes.append(.init(accountId: id, username: username, type: .add, message: "Account \(username) created", privileges: diff.privileges, other: []))
                continue
            }
            if !existing.isActive {
                // A dropped account that returns is the same ledger row, reactivated; its privileges start afresh.
                result.reactivated += 1
                try await AccountStore.refresh(
                    accountId: existing.accountId, snapshot: text, facts: facts, superuser: superuser, locked: locked, changed: true,
                    now: now, on: db)
                let diff = PermissionDiff.diff(from: nil, to: snapshot)
                changes.append(.init(accountId: existing.accountId, username: username, type: .add, message: "Account \(username) reactivated", privileges: diff.privileges, other: []))
                continue
            }
            result.refreshed += 1
            let diff = PermissionDiff.diff(from: existing.permissions, to: snapshot)
            if diff.privileges.isEmpty && diff.other.isEmpty && existing.permissions == snapshot {
                unchanged.append(existing.accountId)
                continue
            }
            try await AccountStore.refresh(
                accountId: existing.accountId, snapshot: text, facts: facts, superuser: superuser, locked: locked,
                changed: !(diff.privileges.isEmpty && diff.other.isEmpty), now: now, on: db)
            if !diff.privileges.isEmpty {
                changes.append(.init(
                    accountId: existing.accountId, username: username, type: .modify_privilege,
                    message: "\(diff.privileges.count) privilege change(s)", privileges: diff.privileges, other: diff.other))
            } else if !diff.other.isEmpty {
                changes.append(.init(
                    accountId: existing.accountId, username: username, type: .modify_other,
                    message: "Changed: " + diff.other.map(\.field).joined(separator: ", "), privileges: [], other: diff.other))
            }
        }
        for (username, existing) in known where existing.isActive && accounts[username] == nil {
            result.deactivated += 1
            try await AccountStore.deactivate(accountId: existing.accountId, now: now, on: db)
            changes.append(.init(accountId: existing.accountId, username: username, type: .delete, message: "Account \(username) dropped", privileges: [], other: []))
        }
        try await AccountStore.touch(accountIds: unchanged, now: now, on: db)
        try await AccountStore.log(changes, instanceId: instanceId, dbType: dbType, runId: runId, now: now, on: db)
        for change in changes { result.changes[change.type.rawValue, default: 0] += 1 }
        return result
    }

    /// Syncs every measurable instance (or those of `ids`), a few at a time; one failing instance fails alone.
    func syncAll(
        ids: [Int64]? = nil, runId: Int64? = nil, concurrency: Int = 2,
        progress: @escaping @Sendable (Int, String) async -> Void
    ) async throws -> RunResult {
        let instances = try await collector.measurableInstances(ids: ids)
        let outcome = try await InstanceFanOut.run(
            instances, concurrency: concurrency, what: "account sync", logger: logger, progress: progress
        ) { instance in try await sync(instance, runId: runId).accounts }
        return RunResult(instances: instances.count, succeeded: outcome.succeeded, accounts: outcome.counted, failed: outcome.failed)
    }
}
