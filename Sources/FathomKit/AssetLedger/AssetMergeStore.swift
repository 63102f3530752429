import SQLKit

/// SQL of a merge, all in one transaction (links, records, relations, gaps, hand-kept fields, candidates, statuses): the rules are checked on rows read (and on PostgreSQL locked) inside it,
/// so two merges racing cannot both pass them.
struct AssetMergeStore: Sendable {
    let store: Store

    /// Refusals, decided on the rows inside the transaction; the service turns them into error codes.
    enum Refusal: Error, Sendable {
        case notFound([String])
        case typeMismatch(String)
        case cycle(String)
        case alreadyMerged(String, into: String)
        case vmNotOffline(String)
    }

    func merge(primary: String, merged: [String], now: Int64, actor: String, backend: Store.Backend) async throws -> Result<Void, Refusal> {
        try await store.write { db in
            let all = ([primary] + merged).sorted()
            let lock: SQLQueryString = backend == .postgres ? "ORDER BY a.asset_uuid FOR UPDATE" : ""
            let rows = try await db.raw("SELECT \(AssetStore.columns) FROM assets a WHERE a.asset_uuid IN (\(binds: all)) \(lock)")
                .all().map(AssetStore.decode)
            let byId = Dictionary(uniqueKeysWithValues: rows.map { ($0.assetUuid, $0) })
            let unknown = all.filter { byId[$0] == nil }
            guard unknown.isEmpty, let target = byId[primary] else { return .failure(.notFound(unknown)) }
            if let refusal = try await Self.refusal(target, merged.compactMap { byId[$0] }, db) { return .failure(refusal) }

            try await db.raw("UPDATE asset_source_links SET asset_uuid = \(bind: primary) WHERE asset_uuid IN (\(binds: merged))").run()
            try await db.raw("UPDATE asset_source_records SET asset_uuid = \(bind: primary) WHERE asset_uuid IN (\(binds: merged))").run()
            try await Self.rewriteRelations(primary: primary, merged: merged, db)
            // Gaps and hand-kept fields move unless the primary already has the same one (the primary's wins).
            // One merged asset at a time, so two merged assets with the same gap cannot collide.
            for uuid in merged {
                try await db.raw(
                    """
                    DELETE FROM asset_relation_gaps WHERE from_asset_uuid = \(bind: uuid) AND EXISTS (
                        SELECT 1 FROM asset_relation_gaps p WHERE p.from_asset_uuid = \(bind: primary)
                        AND p.source_id = asset_relation_gaps.source_id AND p.relation_type = asset_relation_gaps.relation_type
                        AND p.to_external_kind = asset_relation_gaps.to_external_kind
                        AND p.to_external_id = asset_relation_gaps.to_external_id)
                    """
                ).run()
                try await db.raw("UPDATE asset_relation_gaps SET from_asset_uuid = \(bind: primary) WHERE from_asset_uuid = \(bind: uuid)").run()
            }
            try await db.raw(
                """
                INSERT INTO asset_ledger_fields (asset_uuid, field_path, value, updated_at, updated_by)
                SELECT \(bind: primary), field_path, value, updated_at, updated_by FROM asset_ledger_fields
                WHERE asset_uuid IN (\(binds: merged)) ORDER BY updated_at DESC
                ON CONFLICT (asset_uuid, field_path) DO NOTHING
                """
            ).run()
            try await db.raw("DELETE FROM asset_ledger_fields WHERE asset_uuid IN (\(binds: merged))").run()
            try await db.raw(
                """
                UPDATE asset_duplicate_candidates SET status = 'merged', updated_at = \(bind: now)
                WHERE status <> 'merged' AND (first_asset_uuid IN (\(binds: merged)) OR second_asset_uuid IN (\(binds: merged)))
                """
            ).run()
            try await db.raw(
                """
                UPDATE assets SET status = 'merged', merged_into = \(bind: primary), updated_at = \(bind: now)
                WHERE asset_uuid IN (\(binds: merged))
                """
            ).run()
            try await db.raw(
                """
                UPDATE assets SET updated_at = \(bind: now), status = CASE WHEN EXISTS (
                    SELECT 1 FROM asset_source_links l WHERE l.asset_uuid = assets.asset_uuid AND l.presence_status = 'present')
                    THEN 'in_service' ELSE 'offline' END
                WHERE asset_uuid = \(bind: primary)
                """
            ).run()
            try await AssetListTotals.bump(on: db)
            try await AssetEvents.append(
                db, assets: [primary], type: "merged", at: now, actor: actor,
                details: ["mergedAssetUuids": .array(merged.map { .string($0) })])
            try await AssetEvents.append(
                db, assets: merged, type: "merged_into", at: now, actor: actor, details: ["primaryAssetUuid": .string(primary)])
            try await AuditLog.append(
                db, "asset.merged", actor: actor, target: ("asset", primary), at: now,
                details: ["mergedAssetUuids": .array(merged.map { .string($0) })])
            return .success(())
        }
    }

    /// The three merge rules: same type, no cycle, and a VM absorbs only offline VMs.
    private static func refusal(_ primary: Asset, _ merged: [Asset], _ db: any SQLDatabase) async throws -> Refusal? {
        if merged.contains(where: { $0.assetUuid == primary.assetUuid }) { return .cycle(primary.assetUuid) }
        if primary.status == "merged" {
            // Following the primary's own chain: reaching one of the merged assets would close a loop.
            var next = primary.mergedInto
            var hops = 0
            let ids = Set(merged.map(\.assetUuid))
            while let current = next, hops < 64 {
                if ids.contains(current) { return .cycle(current) }
                next = try await AssetStore.get(current, on: db)?.mergedInto
                hops += 1
            }
            return .alreadyMerged(primary.assetUuid, into: primary.mergedInto ?? "")
        }
        if let other = merged.first(where: { $0.assetType != primary.assetType }) { return .typeMismatch(other.assetUuid) }
        if let done = merged.first(where: { $0.status == "merged" }) {
            return done.mergedInto == primary.assetUuid ? .cycle(done.assetUuid) : .alreadyMerged(done.assetUuid, into: done.mergedInto ?? "")
        }
        if primary.assetType == "vm", let live = merged.first(where: { $0.status != "offline" }) { return .vmNotOffline(live.assetUuid) }
        return nil
    }

    /// Edges touching a merged asset are re-pointed at the primary; self-loops are dropped and edges that become
    /// equal keep one row (active if any was, last seen latest).
    private static func rewriteRelations(primary: String, merged: [String], _ db: any SQLDatabase) async throws {
        let ids = Set(merged)
        struct Edge { var id, type, from, to, source, status, runId: String; var first, last: Int64 }
        let involved: [String] = merged + [primary]
        let rows = try await db.raw(
            """
            SELECT relation_id, relation_type, from_asset_uuid, to_asset_uuid, source_id, status, first_seen_at, last_seen_at,
                   last_seen_run_id
            FROM asset_relations WHERE from_asset_uuid IN (\(binds: involved)) OR to_asset_uuid IN (\(binds: involved))
            ORDER BY relation_id
            """
        ).all()
        var kept: [String: Edge] = [:]
        var order: [String] = []
        for row in rows {
            func mapped(_ uuid: String) -> String { ids.contains(uuid) ? primary : uuid }
            let edge = Edge(
                id: try row.string("relation_id"), type: try row.string("relation_type"),
                from: mapped(try row.string("from_asset_uuid")), to: mapped(try row.string("to_asset_uuid")),
                source: try row.string("source_id"), status: try row.string("status"), runId: try row.string("last_seen_run_id"),
                first: try row.int64("first_seen_at"), last: try row.int64("last_seen_at"))
            guard edge.from != edge.to else { continue }
            let key = [edge.type, edge.from, edge.to, edge.source].joined(separator: "\u{1F}")
            if var existing = kept[key] {
                existing.status = existing.status == "active" || edge.status == "active" ? "active" : "inactive"
                existing.first = min(existing.first, edge.first)
                if edge.last > existing.last { (existing.last, existing.runId) = (edge.last, edge.runId) }
                kept[key] = existing
            } else {
                kept[key] = edge
                order.append(key)
            }
        }
        try await db.raw(
            "DELETE FROM asset_relations WHERE from_asset_uuid IN (\(binds: involved)) OR to_asset_uuid IN (\(binds: involved))"
        ).run()
        for key in order {
            guard let edge = kept[key] else { continue }
            try await db.raw(
                """
                INSERT INTO asset_relations (relation_id, relation_type, from_asset_uuid, to_asset_uuid, source_id, status,
                                             first_seen_at, last_seen_at, last_seen_run_id)
                VALUES (\(bind: edge.id), \(bind: edge.type), \(bind: edge.from), \(bind: edge.to), \(bind: edge.source),
                        \(bind: edge.status), \(bind: edge.first), \(bind: edge.last), \(bind: edge.runId))
                """
            ).run()
        }
    }
}
