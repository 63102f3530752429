import SQLKit

/// What the `fathom` collector reads: the DBaaS instances, and the machines other sources have in the ledger.
struct FathomInstancesStore: Sendable {
    let store: Store

    struct ProjectInstance: Sendable {
        var instance: Instance
        var projectName: String
    }

    /// A VM or host as another source last saw it: the reference a cross-source relation names, and its record.
    struct Machine: Sendable {
        var sourceId: String
        var kind: String
        var externalId: String
        var assetUuid: String
        var lastSeenAt: Int64
        var normalized: JSONValue
    }

    /// Every instance that still exists (deleted ones are left out, so their assets go missing).
    func instances() async throws -> [ProjectInstance] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: InstanceStore.columns), p.name AS project_name
                FROM instances i JOIN projects p ON p.id = i.project_id WHERE i.state <> 'DELETED' ORDER BY i.instance_id
                """
            ).all().map { row in ProjectInstance(instance: try InstanceStore.decode(row), projectName: try row.string("project_name")) }
        }
    }

    /// Present VMs and hosts of every live source but `excluding`, each with its latest record.
    func machines(excluding sourceId: String) async throws -> [Machine] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT l.source_id, l.external_kind, l.external_id, l.asset_uuid, l.last_seen_at, r.normalized
                FROM asset_source_links l
                JOIN assets a ON a.asset_uuid = l.asset_uuid
                JOIN asset_sources s ON s.source_id = l.source_id
                JOIN asset_source_records r ON r.asset_uuid = l.asset_uuid AND r.link_id = l.link_id AND r.run_id = l.last_seen_run_id
                WHERE l.presence_status = 'present' AND l.external_kind IN ('vm', 'host') AND a.status <> 'merged'
                  AND s.deleted_at IS NULL AND l.source_id <> \(bind: sourceId)
                """
            ).all().map { row in
                Machine(
                    sourceId: try row.string("source_id"), kind: try row.string("external_kind"), externalId: try row.string("external_id"),
                    assetUuid: try row.string("asset_uuid"), lastSeenAt: try row.int64("last_seen_at"),
                    normalized: JSONText.decode(try row.string("normalized")))
            }
        }
    }
}
