import Foundation
import SQLKit

/// SQL for instances and their labels. Helpers take a `db` so callers compose them into one transaction.
enum InstanceStore {
    static let columns = """
        i.instance_id, i.id, i.project_id, i.name, i.engine, i.version, i.region, i.provider, i.state, i.cpu,
        i.memory_gb, i.storage_gb, i.high_availability, i.endpoints, i.connection, i.credential, i.active_operation_id,
        i.storage_used_bytes, i.default_database, i.default_user, i.backup_policy, i.backup_anchor_at,
        i.backup_last_slot_at, i.created_at, i.updated_at
        """

    static func decode(_ row: any SQLRow) throws -> Instance {
        let endpoints = (try? JSONDecoder().decode([Endpoint].self, from: Data(try row.string("endpoints").utf8))) ?? []
        let connection = try row.optionalString("connection").flatMap {
            try? JSONDecoder().decode(ExternalConnection.self, from: Data($0.utf8))
        }
        let policy = try row.optionalString("backup_policy").flatMap {
            try? JSONDecoder().decode(BackupPolicy.self, from: Data($0.utf8))
        }
        return Instance(
            instanceId: try row.int64("instance_id"), id: try row.string("id"), projectId: try row.string("project_id"),
            name: try row.string("name"), engine: try row.string("engine"), version: try row.string("version"),
            region: try row.string("region"), provider: try row.string("provider"),
            state: InstanceState(rawValue: try row.string("state")) ?? .FAILED,
            resources: Resources(cpu: try row.int("cpu"), memory_gb: try row.int("memory_gb"), storage_gb: try row.int("storage_gb")),
            highAvailability: try row.bool("high_availability"), labels: [:], endpoints: endpoints, connection: connection,
            sealedCredential: try row.optionalString("credential"),
            activeOperationId: try row.optionalString("active_operation_id"),
            storageUsedBytes: try row.optionalInt64("storage_used_bytes"),
            defaultDatabase: try row.optionalString("default_database"), defaultUser: try row.optionalString("default_user"),
            backupPolicy: policy, backupAnchorAt: try row.optionalInt64("backup_anchor_at"),
            backupLastSlotAt: try row.optionalInt64("backup_last_slot_at"),
            createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at"))
    }

    static func json(_ value: some Encodable) -> String {
        String(decoding: (try? JSONCoding.encoder().encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// Inserts the instance (its integer id is assigned here) and its labels; returns it with the id.
    static func insert(_ instance: Instance, on db: any SQLDatabase) async throws -> Instance {
        let row = try await db.raw(
            """
            INSERT INTO instances (id, project_id, name, engine, version, region, provider, state, cpu, memory_gb,
                storage_gb, high_availability, endpoints, connection, credential, active_operation_id, default_database,
                default_user, backup_policy, backup_anchor_at, created_at, updated_at)
            VALUES (\(bind: instance.id), \(bind: instance.projectId), \(bind: instance.name), \(bind: instance.engine),
                \(bind: instance.version), \(bind: instance.region), \(bind: instance.provider),
                \(bind: instance.state.rawValue), \(bind: instance.resources.cpu), \(bind: instance.resources.memory_gb),
                \(bind: instance.resources.storage_gb), \(bind: instance.highAvailability), \(bind: json(instance.endpoints)),
                \(bind: instance.connection.map(json)), \(bind: instance.sealedCredential),
                \(bind: instance.activeOperationId), \(bind: instance.defaultDatabase), \(bind: instance.defaultUser),
                \(bind: instance.backupPolicy.map(json)), \(bind: instance.backupAnchorAt), \(bind: instance.createdAt), \(bind: instance.updatedAt))
            RETURNING instance_id
            """
        ).first()
        var stored = instance
        stored.instanceId = try row?.int64("instance_id") ?? 0
        try await setLabels(stored.instanceId, instance.labels, on: db)
        return stored
    }

    static func setLabels(_ instanceId: Int64, _ labels: [String: String], on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM instance_labels WHERE instance_id = \(bind: instanceId)").run()
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            try await db.raw(
                "INSERT INTO instance_labels (instance_id, key, value) VALUES (\(bind: instanceId), \(bind: key), \(bind: value))"
            ).run()
        }
    }

    /// Fills `labels` for the given instances with one query.
    static func withLabels(_ instances: [Instance], on db: any SQLDatabase) async throws -> [Instance] {
        guard !instances.isEmpty else { return [] }
        let rows = try await db.raw(
            "SELECT instance_id, key, value FROM instance_labels WHERE instance_id IN (\(binds: instances.map(\.instanceId)))"
        ).all()
        var labels: [Int64: [String: String]] = [:]
        for row in rows { labels[try row.int64("instance_id"), default: [:]][try row.string("key")] = try row.string("value") }
        return instances.map { instance in
            var copy = instance
            copy.labels = labels[instance.instanceId] ?? [:]
            return copy
        }
    }

    /// The instance `id` in `projectId` (any state).
    static func find(projectId: String, id: String, on db: any SQLDatabase) async throws -> Instance? {
        guard let instance = try await db.raw(
            "SELECT \(unsafeRaw: columns) FROM instances i WHERE i.project_id = \(bind: projectId) AND i.id = \(bind: id)"
        ).first().map(decode) else { return nil }
        return try await withLabels([instance], on: db).first
    }

    static func find(id: String, on db: any SQLDatabase) async throws -> Instance? {
        guard let instance = try await db.raw("SELECT \(unsafeRaw: columns) FROM instances i WHERE i.id = \(bind: id)")
            .first().map(decode)
        else { return nil }
        return try await withLabels([instance], on: db).first
    }

    /// Takes the instance for an operation: only from `allowed` states and when no other operation is active.
    /// Returns false (and changes nothing) otherwise.
    static func begin(
        id: String, operationId: String, allowed: [InstanceState], newState: InstanceState?, now: Int64,
        on db: any SQLDatabase
    ) async throws -> Bool {
        let stateUpdate: SQLQueryString = newState.map { "state = \(bind: $0.rawValue)," } ?? ""
        let rows = try await db.raw(
            """
            UPDATE instances SET \(stateUpdate) active_operation_id = \(bind: operationId), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND state IN (\(binds: allowed.map(\.rawValue)))
              AND (active_operation_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM operations o JOIN jobs j ON j.id = o.job_id
                    WHERE o.id = instances.active_operation_id AND j.state IN ('queued', 'running')))
            RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    /// Ends an operation on the instance: new state (and endpoints/version/credential when given), lock released.
    static func end(
        id: String, operationId: String, state: InstanceState, result: ProvisionResult?, sealedCredential: String?,
        deletedAt: Int64? = nil, now: Int64, on db: any SQLDatabase
    ) async throws {
        var sets: [SQLQueryString] = ["state = \(bind: state.rawValue)", "updated_at = \(bind: now)"]
        if let result {
            sets.append("endpoints = \(bind: json(result.endpoints))")
            if let version = result.version { sets.append("version = \(bind: version)") }
        }
        if let sealedCredential { sets.append("credential = \(bind: sealedCredential)") }
        if let deletedAt { sets.append("deleted_at = \(bind: deletedAt)") }
        try await db.raw("UPDATE instances SET \(sets.joined(separator: ", ")) WHERE id = \(bind: id)").run()
        try await db.raw(
            "UPDATE instances SET active_operation_id = NULL WHERE id = \(bind: id) AND active_operation_id = \(bind: operationId)"
        ).run()
    }

    /// Resources and high availability as an update operation applied them.
    static func applyShape(_ instance: Instance, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE instances SET cpu = \(bind: instance.resources.cpu), memory_gb = \(bind: instance.resources.memory_gb),
                storage_gb = \(bind: instance.resources.storage_gb), high_availability = \(bind: instance.highAvailability)
            WHERE id = \(bind: instance.id)
            """
        ).run()
    }

    /// Frees the instance for the next operation (if this operation still holds it).
    static func release(_ instanceId: String, operationId: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE instances SET active_operation_id = NULL WHERE id = \(bind: instanceId) AND active_operation_id = \(bind: operationId)"
        ).run()
    }

    /// A cursor page of the rows matching `conditions`, with their count.
    static func page(
        where conditions: [SQLQueryString], page: CursorPage, sort: SortOrder, on db: any SQLDatabase
    ) async throws -> (rows: [Instance], total: Int) {
        try await CursorPageQuery(columns: columns, from: "instances i", filter: conditions, idColumn: "i.id")
            .run(on: db, page: page, sort: sort, decode: decode)
    }

    static func rename(_ id: String, to name: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE instances SET name = \(bind: name), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    static func touch(_ id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE instances SET updated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    /// Local instances that exist.
    static func local(on db: any SQLDatabase) async throws -> [Instance] {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM instances i WHERE i.provider = 'local' AND i.state <> 'DELETED'")
            .all().map(decode)
    }

    /// Local instances that exist and that no queued or running operation is working on (reconciliation leaves
    /// those to their operation).
    static func localIdle(on db: any SQLDatabase) async throws -> [Instance] {
        try await db.raw(
            """
            SELECT \(unsafeRaw: columns) FROM instances i
            WHERE i.provider = 'local' AND i.state <> 'DELETED'
              AND (i.active_operation_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM operations o JOIN jobs j ON j.id = o.job_id
                    WHERE o.id = i.active_operation_id AND j.state IN ('queued', 'running')))
            """
        ).all().map(decode)
    }

    /// Ids of every local instance ever made, deleted ones included (their directories are not orphans).
    static func localIds(on db: any SQLDatabase) async throws -> Set<String> {
        Set(try await db.raw("SELECT id FROM instances WHERE provider = 'local'").all().map { try $0.string("id") })
    }

    static func failIfRunning(_ id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE instances SET state = 'FAILED', updated_at = \(bind: now) WHERE id = \(bind: id) AND state = 'RUNNING'"
        ).run()
    }

    static func setStorageUsed(_ id: String, bytes: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE instances SET storage_used_bytes = \(bind: bytes) WHERE id = \(bind: id)").run()
    }
}
