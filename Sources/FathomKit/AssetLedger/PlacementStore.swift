import SQLKit

/// SQL of instance placements: a DBaaS instance's `database_instance` asset (Fathom's own source), its active
/// `runs_on` to a VM or host, that VM's host and the host's cluster. Three small reads bounded by the page asking.
struct PlacementStore: InstancePlacementLookup {
    let store: Store

    func placements(_ instanceIds: [Int64]) async throws -> [Int64: InstancePlacements.Placement] {
        try await store.read { db in
            var machines: [Int64: (uuid: String, type: String, name: String)] = [:]
            for chunk in IngestStore.chunks(instanceIds, 500) {
                for row in try await db.raw(
                    """
                    SELECT i.instance_id, t.asset_uuid, t.asset_type, t.display_name
                    FROM instances i
                    JOIN asset_source_links l ON l.external_kind = 'database_instance' AND l.external_id = i.id
                        AND l.presence_status = 'present'
                    JOIN asset_sources s ON s.source_id = l.source_id AND s.source_type = 'fathom' AND s.deleted_at IS NULL
                    JOIN asset_relations r ON r.from_asset_uuid = l.asset_uuid AND r.source_id = l.source_id
                        AND r.relation_type = 'runs_on' AND r.status = 'active'
                    JOIN assets t ON t.asset_uuid = r.to_asset_uuid
                    WHERE i.instance_id IN (\(binds: Array(chunk)))
                    ORDER BY r.last_seen_at DESC, t.asset_uuid
                    """
                ).all() {
                    let id = try row.int64("instance_id")
                    if machines[id] == nil {
                        machines[id] = (try row.string("asset_uuid"), try row.string("asset_type"), try row.string("display_name"))
                    }
                }
            }
            guard !machines.isEmpty else { return [:] }
            // A VM's host is its own active runs_on; a host is its own host.
            let vms = Set(machines.values.filter { $0.type == "vm" }.map(\.uuid))
            let hosts = try await Self.targets(of: vms, type: "runs_on", on: db)
            var hostUuids = Set(hosts.values.map(\.uuid))
            for machine in machines.values where machine.type == "host" { hostUuids.insert(machine.uuid) }
            let clusters = try await Self.targets(of: hostUuids, type: "member_of", on: db)
            return machines.mapValues { machine in
                let host = machine.type == "host" ? (uuid: machine.uuid, name: machine.name) : hosts[machine.uuid]
                return InstancePlacements.Placement(
                    assetUuid: machine.uuid, displayName: machine.name, host: host?.name,
                    cluster: host.flatMap { clusters[$0.uuid]?.name })
            }
        }
    }

    /// The latest active `type` relation's target of each asset.
    private static func targets(of uuids: Set<String>, type: String, on db: any SQLDatabase) async throws -> [String: (uuid: String, name: String)] {
        var found: [String: (uuid: String, name: String)] = [:]
        for chunk in IngestStore.chunks(Array(uuids), 500) {
            for row in try await db.raw(
                """
                SELECT r.from_asset_uuid, t.asset_uuid, t.display_name FROM asset_relations r
                JOIN assets t ON t.asset_uuid = r.to_asset_uuid
                WHERE r.from_asset_uuid IN (\(binds: Array(chunk))) AND r.relation_type = \(bind: type) AND r.status = 'active'
                ORDER BY r.last_seen_at DESC, t.asset_uuid
                """
            ).all() {
                let from = try row.string("from_asset_uuid")
                if found[from] == nil { found[from] = (try row.string("asset_uuid"), try row.string("display_name")) }
            }
        }
        return found
    }
}
