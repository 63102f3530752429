import Foundation
import SQLKit

/// SQL for the database inventory and its samples.
enum InventoryStore {
    /// Instances that can be measured: live PostgreSQL instances (all of them, or those of `ids`); demo instances
    /// have nothing behind them and are never measured.
    static func measurableInstances(ids: [Int64]?, on db: any SQLDatabase) async throws -> [Instance] {
        let filter: SQLQueryString = ids.map { "AND i.instance_id IN (\(binds: $0))" } ?? ""
        return try await db.raw(
            """
            SELECT \(unsafeRaw: InstanceStore.columns) FROM instances i
            WHERE i.engine = 'postgresql' AND i.provider <> 'demo'
              AND i.state NOT IN ('DELETED', 'CREATING', 'DELETING', 'FAILED') \(filter)
            ORDER BY i.instance_id
            """
        ).all().map(InstanceStore.decode)
    }

    /// The instances matching a ledger filter in ledger order with their active database counts.
    static func ledgerInstances(_ condition: SQLQueryString, on db: any SQLDatabase) async throws -> [LedgerPositions.Instance] {
        // The covering index `instances_ledger` answers this without reading the table.
        try await db.raw(
            "SELECT i.name, i.instance_id, i.active_databases FROM instances i WHERE \(condition) ORDER BY i.name, i.instance_id"
        ).all().map {
            LedgerPositions.Instance(name: try $0.string("name"), id: try $0.int64("instance_id"), databases: try $0.int("active_databases"))
        }
    }

    /// A tracked database as pickers list it.
    struct DatabaseOption: Encodable, Sendable {
        var id: Int64
        var database_name: String
        var is_active: Bool
        var first_seen_date: String
        var last_seen_date: String
        @ExplicitNull var deleted_at: String?
    }

    /// Every database ever seen on an instance, active ones first, then by name; one page with the count
    /// (`/databases/options`).
    static func databases(
        instanceId: Int64, offset: Int, limit: Int, on db: any SQLDatabase
    ) async throws -> (items: [DatabaseOption], total: Int) {
        let query = OffsetPageQuery(
            columns: "database_id, name, is_active, first_seen_date, last_seen_date, deleted_at", from: "instance_databases",
            filter: "instance_id = \(bind: instanceId)", orderBy: "is_active DESC, name")
        return try await query.run(on: db, limit: limit, offset: offset) { row in
            DatabaseOption(
                id: try row.int64("database_id"), database_name: try row.string("name"), is_active: try row.bool("is_active"),
                first_seen_date: try row.string("first_seen_date"), last_seen_date: try row.string("last_seen_date"),
                deleted_at: try row.optionalInt64("deleted_at").map(Timestamp.iso8601(millis:)))
        }
    }

    /// Whether an instance with this integer id exists (deleted ones included: their history is still readable).
    static func instanceExists(_ instanceId: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT 1 AS found FROM instances WHERE instance_id = \(bind: instanceId)").first() != nil
    }

    /// Records one collection of an instance in one transaction: databases seen are inserted or reactivated, those
    /// gone are deactivated (history kept), today's samples are upserted and the latest size kept current.
    static func record(
        instanceId: Int64, databases: [PostgresCatalog.DatabaseSize], day: String, now: Int64, on db: any SQLDatabase
    ) async throws {
        var known: [String: (id: Int64, active: Bool)] = [:]
        for row in try await db.raw(
            "SELECT database_id, name, is_active FROM instance_databases WHERE instance_id = \(bind: instanceId)"
        ).all() {
            known[try row.string("name")] = (try row.int64("database_id"), try row.bool("is_active"))
        }
        var total: Int64 = 0
        for database in databases {
            total += database.bytes
            let id: Int64
            if let existing = known[database.name] {
                id = existing.id
                try await db.raw(
                    """
                    UPDATE instance_databases SET is_active = \(bind: true), deleted_at = NULL, last_seen_date = \(bind: day),
                        latest_size_bytes = \(bind: database.bytes), latest_collected_at = \(bind: now), updated_at = \(bind: now)
                    WHERE database_id = \(bind: id)
                    """
                ).run()
            } else {
                let row = try await db.raw(
                    """
                    INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date,
                        latest_size_bytes, latest_collected_at, created_at, updated_at)
                    VALUES (\(bind: instanceId), \(bind: database.name), \(bind: true), \(bind: day), \(bind: day),
                        \(bind: database.bytes), \(bind: now), \(bind: now), \(bind: now))
                    RETURNING database_id
                    """
                ).first()
                id = try row?.int64("database_id") ?? 0
            }
            try await db.raw(
                """
                INSERT INTO database_size_samples (database_id, sample_date, size_bytes, data_bytes, collected_at)
                VALUES (\(bind: id), \(bind: day), \(bind: database.bytes), \(bind: database.bytes), \(bind: now))
                ON CONFLICT (database_id, sample_date) DO UPDATE SET size_bytes = excluded.size_bytes,
                    data_bytes = excluded.data_bytes, collected_at = excluded.collected_at
                """
            ).run()
        }
        let seen = Set(databases.map(\.name))
        for (name, entry) in known where entry.active && !seen.contains(name) {
            try await db.raw(
                """
                UPDATE instance_databases SET is_active = \(bind: false), deleted_at = \(bind: now), updated_at = \(bind: now)
                WHERE database_id = \(bind: entry.id)
                """
            ).run()
        }
        try await db.raw(
            """
            INSERT INTO instance_size_samples (instance_id, sample_date, total_bytes, database_count, collected_at)
            VALUES (\(bind: instanceId), \(bind: day), \(bind: total), \(bind: databases.count), \(bind: now))
            ON CONFLICT (instance_id, sample_date) DO UPDATE SET total_bytes = excluded.total_bytes,
                database_count = excluded.database_count, collected_at = excluded.collected_at
            """
        ).run()
        try await refreshActiveCount(instanceId: instanceId, on: db)
        try await CapacityCountStore.recountSamples(instanceId: instanceId, on: db)
    }

    /// Recounts the instance's active databases (`instances.active_databases`, what lets a ledger page skip whole
    /// instances); called in the same transaction as anything that changes which of its databases are active.
    static func refreshActiveCount(instanceId: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE instances SET active_databases = (
                SELECT COUNT(*) FROM instance_databases d WHERE d.instance_id = instances.instance_id AND d.is_active = \(bind: true))
            WHERE instance_id = \(bind: instanceId)
            """
        ).run()
    }
}
