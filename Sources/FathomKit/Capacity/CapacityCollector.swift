import Foundation
import Logging
import PostgresNIO
import SQLKit

/// Connects to instances and records their databases and sizes.
public struct CapacityCollector: Sendable {
    let store: Store
    let secrets: SecretBox
    let clock: WallClock
    let calendar: BusinessCalendar
    /// Database names (shell globs) never inventoried, from `FATHOM_CAPACITY_EXCLUDE`.
    let excluded: [String]
    let logger: Logger
    /// Told after each instance's inventory is recorded.
    let ledger: LedgerPositions
    /// Checked again at every connection to an `external` instance: its name may resolve elsewhere since it was
    /// registered (DNS rebinding), and the allow list may have shrunk.
    var externalPolicy = ExternalNetworkPolicy()

    /// Instances that can be measured: live PostgreSQL instances with an endpoint.
    func measurableInstances(ids: [Int64]? = nil) async throws -> [Instance] {
        if ids?.isEmpty == true { return [] }  // a tenant's project without instances: `IN ()` is not SQL
        return try await store.read { db in try await InventoryStore.measurableInstances(ids: ids, on: db) }
    }

    /// How to reach an instance (its primary) as the account Fathom holds for it.
    func target(_ instance: Instance, database: String? = nil) throws -> PostgresSession.Target {
        guard let endpoint = instance.endpoints.first(where: { $0.role == .primary }) ?? instance.endpoints.first else {
            throw AppError(.databaseConnectionError, "Instance \(instance.id) has no endpoint yet")
        }
        guard let sealed = instance.sealedCredential else {
            throw AppError(.databaseConnectionError, "Instance \(instance.id) has no stored credential; register one to measure it")
        }
        let credential = JSONText.decode(try secrets.open(sealed))
        var host = endpoint.host
        if instance.provider == "external" {
            if let refusal = externalPolicy.refusal(host: endpoint.host, port: endpoint.port) {
                logger.warning("external instance refused", metadata: ["instance_id": .string(instance.id), "detail": .string(refusal)])
                // Also reached from requests (table-size refresh): the caller gets the generic text, the log the detail.
                throw AppError(.databaseConnectionError, ExternalProvider.genericFailure)
            }
            host = externalPolicy.checkedAddress(host: endpoint.host) ?? endpoint.host
        }
        return PostgresSession.Target(
            host: host, port: endpoint.port, username: credential["username"]?.stringValue ?? "postgres",
            password: credential["password"]?.stringValue ?? "",
            database: database ?? instance.connection?.database ?? "postgres")
    }

    /// Inventory and sizes of one instance; returns the number of databases and their total size.
    func collect(_ instance: Instance, timeout: Duration) async throws -> (databases: Int, bytes: Int64) {
        let target = try target(instance)
        let logger = self.logger
        let listed: [PostgresCatalog.DatabaseSize] = try await PostgresSession.with(target, timeout: timeout, logger: logger) { connection in
            do {
                return try await PostgresCatalog.databases(connection, logger: logger)
            } catch {
                throw AppError(.syncDataError, "Listing databases of \(instance.id) failed: \(PostgresSession.describe(error))")
            }
        }
        let patterns = excluded
        let sizes = listed.filter { database in !patterns.contains { fnmatch($0, database.name, 0) == 0 } }
        let now = clock.millis()
        let day = calendar.day(clock.now())
        try await store.write { db in
            try await InventoryStore.record(instanceId: instance.instanceId, databases: sizes, day: day, now: now, on: db)
        }
        ledger.invalidate()
        return (sizes.count, sizes.reduce(0) { $0 + $1.bytes })
    }

    /// The outcome of a collection run.
    public struct RunResult: Sendable, Encodable {
        public var instances: Int
        public var succeeded: Int
        public var databases: Int
        public var failed: [[String: String]]
    }

    /// Collects every measurable instance, a few at a time; one unreachable instance fails its own item only.
    func collectAll(
        ids: [Int64]? = nil, concurrency: Int = 4, timeout: Duration = .seconds(30),
        progress: @escaping @Sendable (Int, String) async -> Void
    ) async throws -> RunResult {
        let instances = try await measurableInstances(ids: ids)
        let outcome = try await InstanceFanOut.run(
            instances, concurrency: concurrency, what: "capacity collection", logger: logger, progress: progress
        ) { instance in
            try await JobRunner.withDeadline(timeout + .seconds(5)) { try await collect(instance, timeout: timeout) }.databases
        }
        return RunResult(instances: instances.count, succeeded: outcome.succeeded, databases: outcome.counted, failed: outcome.failed)
    }
}
