import Foundation
import Logging

/// Table sizes of tracked databases: the last snapshot, and a refresh that measures a database now.
struct TableSizes: Sendable {
    let tables: TableSizeStore
    let collector: CapacityCollector
    let clock: WallClock
    let logger: Logger

    /// The database named by the path, if the tenant scope admits its instance (else 404, like a missing one).
    func database(_ raw: String, scope: TenantScope) async throws -> TableSizeStore.DatabaseRef {
        guard let id = Int64(raw), let found = try await tables.database(id) else {
            throw AppError(.notFound, "Database '\(raw)' not found")
        }
        try await TenantScopeQuery.require(scope, instanceId: found.instanceId, store: tables.store)
        return found
    }

    /// Connects to the database, upserts the snapshot and deletes tables that vanished. A failed or empty
    /// collection deletes nothing.
    func refresh(_ database: TableSizeStore.DatabaseRef) async throws -> (saved: Int, deleted: Int) {
        guard let instance = try await collector.measurableInstances(ids: [database.instanceId]).first else {
            throw AppError(.databaseConnectionError, "The instance of database \(database.id) is not reachable (deleted or not running)")
        }
        let target = try collector.target(instance, database: database.name)
        let logger = logger
        let collected = try await PostgresSession.with(target, logger: logger) { connection in
            do {
                return try await PostgresCatalog.tables(connection, logger: logger)
            } catch {
                throw AppError(.syncDataError, "Collecting table sizes failed: \(PostgresSession.describe(error))")
            }
        }
        return try await tables.save(databaseId: database.id, tables: collected, now: clock.millis())
    }
}
