import SQLKit

/// Writes a successful collect in one transaction, in multi-row statements (no round trip per row): assets and their
/// source links by `(source, external_kind, external_id)`, one record per asset, raw payloads once per content,
/// relations by `(type, from, to, source)`, presence and relation status for what the mode covers, and the run's end.
/// If anything fails the transaction rolls back and nothing of the run is visible.
///
/// Written a table at a time (assets, links, raw payloads, records, relations), each in slices of rows: statements
/// that go from one table's indexes to another's every slice keep all of them in the writer's page cache at once,
/// which a large collect outgrows. Rows seen again are touched by one statement over the source's rows, not by id.
struct IngestStore: Sendable {
    let store: Store

    struct Summary: Sendable, Encodable {
        var assetsCreated = 0
        var linksMissing = 0
        var assetsOffline = 0
        var relationsActive = 0
        var relationsInactive = 0
        /// Relations whose endpoint was not collected (neither in this run nor before) and were not stored.
        var relationsSkipped = 0
    }

    /// Kinds and relation types a mode's complete collect speaks for: only those move to missing / inactive.
    static func coverage(_ mode: String) -> (kinds: Set<String>, relations: Set<String>) {
        switch mode {
        case "collect_hosts": return (["host", "cluster"], ["member_of"])
        case "collect_vms": return (["vm"], ["runs_on", "hosts_vm"])
        default: return (["vm", "host", "cluster", "database_instance"], ["runs_on", "hosts_vm", "member_of"])
        }
    }

    static let rowsPerStatement = 500
    /// Ids sent in one `IN (…)` list.
    static let idsPerStatement = 1000

    func ingest(
        runId: String, sourceId: String, mode: String, inventory: Inventory, now: Int64,
        end: @escaping @Sendable (Summary) -> RunEnd
    ) async throws -> Summary {
        let backend = store.backend
        return try await store.write { db in
            var summary = Summary()
            let coverage = Self.coverage(mode)
            let links = try await Self.knownLinks(db, sourceId: sourceId)
            let plan = Self.plan(inventory.assets, links)
            summary.assetsCreated = plan.created

            try await Self.assets.run(plan.assetsToWrite, on: db, backend: backend) { index in
                let asset = inventory.assets[index]
                return [.text(plan.assetUuids[index]), .text(asset.kind), .text(asset.displayName), .bigint(now), .bigint(now)]
            }

            // Links seen again, then the new ones (so the update does not walk rows it has just written).
            try await Self.touch(
                db, table: "asset_source_links", idColumn: "link_id", sourceId: sourceId, seen: plan.seenLinkIds,
                unseen: links.values.filter { !plan.seen.contains($0.key) }.map(\.linkId),
                set: "presence_status = 'present', last_seen_at = \(bind: now), last_seen_run_id = \(bind: runId)")
            try await Self.links.run(plan.newLinks, on: db, backend: backend) { index in
                let asset = inventory.assets[index]
                return [
                    .text(plan.linkIds[index]), .text(plan.assetUuids[index]), .text(sourceId), .text(asset.kind),
                    .text(asset.externalId), .bigint(now), .bigint(now), .text(runId), .text(asset.searchText),
                ]
            }
            // Search texts that changed (a new address, a renamed host): one statement per slice of them.
            for chunk in Self.chunks(plan.changedSearchTexts, Self.rowsPerStatement) {
                let cases = chunk.map { index -> SQLQueryString in
                    "WHEN \(bind: plan.linkIds[index]) THEN \(bind: inventory.assets[index].searchText)"
                }.joined(separator: " ")
                try await db.raw(
                    """
                    UPDATE asset_source_links SET search_text = CASE link_id \(cases) END
                    WHERE link_id IN (\(binds: chunk.map { plan.linkIds[$0] }))
                    """
                ).run()
            }

            try await Self.storeRawPayloads(db, inventory.assets, backend: backend)
            try await Self.records.run(inventory.assets.indices, on: db, backend: backend) { index in
                let asset = inventory.assets[index]
                return [
                    .text(OrderedID.make("rec")), .text(runId), .text(sourceId), .text(plan.linkIds[index]),
                    .text(plan.assetUuids[index]), .text(asset.kind), .text(asset.externalId), .bigint(now),
                    .text(asset.normalizedText), .text(asset.rawHash),
                ]
            }
            // Assets seen again after going offline: their history shows them back in service.
            try await AssetEvents.append(
                db, assets: Array(Set(plan.returning)), type: "status_changed", at: now, actor: nil,
                details: ["from": "offline", "to": "in_service", "runId": .string(runId)])

            // Presence: what this complete collect covers but did not see is missing; its asset goes offline when no
            // link of any source still sees it.
            let missing = links.values.filter { $0.present && coverage.kinds.contains($0.kind) && !plan.seen.contains($0.key) }
            summary.linksMissing = missing.count
            for chunk in Self.chunks(missing.map(\.linkId), Self.idsPerStatement) {
                try await db.raw(
                    "UPDATE asset_source_links SET presence_status = 'missing' WHERE link_id IN (\(binds: Array(chunk)))").run()
            }
            for chunk in Self.chunks(Array(Set(missing.map(\.assetUuid))), Self.idsPerStatement) {
                let offline = try await db.raw(
                    """
                    UPDATE assets SET status = 'offline', updated_at = \(bind: now)
                    WHERE asset_uuid IN (\(binds: Array(chunk))) AND status = 'in_service' AND NOT EXISTS (
                        SELECT 1 FROM asset_source_links l WHERE l.asset_uuid = assets.asset_uuid AND l.presence_status = 'present')
                    RETURNING asset_uuid
                    """
                ).all().map { try $0.string("asset_uuid") }
                summary.assetsOffline += offline.count
                try await AssetEvents.append(
                    db, assets: offline, type: "status_changed", at: now, actor: nil,
                    details: ["from": "in_service", "to": "offline", "runId": .string(runId)])
            }

            try await Self.ingestRelations(db, backend, inventory, sourceId: sourceId, runId: runId, now: now, uuids: plan.uuids,
                                           coverage: coverage.relations, summary: &summary)
            try await AssetListTotals.bump(on: db)
            guard try await RunStore.finish(runId, end(summary), now: now, on: db) else {
                // The run was ended meanwhile (cancelled): its collect must not land.
                throw RunAlreadyEnded()
            }
            // Duplicate detection follows every successful collect, committed with it; one queued detection covers
            // every collect that lands before it starts.
            let queued = try await db.raw(
                "SELECT COUNT(*) AS n FROM jobs WHERE kind = \(bind: AssetLedgerJobs.detectDuplicates) AND state = 'queued'"
            ).first()?.int("n") ?? 0
            if queued == 0 {
                _ = try await JobQueue.insert(NewJob(kind: AssetLedgerJobs.detectDuplicates), maxAttempts: 3, now: now, on: db)
            }
            return summary
        }
    }

    struct RunAlreadyEnded: Error {}

    private static let assets = BulkInsert("assets", [
        .text("asset_uuid"), .text("asset_type"), .text("display_name"), .constant("status", "'in_service'"),
        .bigint("created_at"), .bigint("updated_at"),
    ], tail: """
        ON CONFLICT (asset_uuid) DO UPDATE SET display_name = excluded.display_name, status = 'in_service',
            updated_at = excluded.updated_at
        WHERE assets.display_name <> excluded.display_name OR assets.status <> 'in_service'
        """)

    private static let links = BulkInsert("asset_source_links", [
        .text("link_id"), .text("asset_uuid"), .text("source_id"), .text("external_kind"), .text("external_id"),
        .constant("presence_status", "'present'"), .bigint("first_seen_at"), .bigint("last_seen_at"), .text("last_seen_run_id"),
        .text("search_text"),
    ], tail: """
        ON CONFLICT (source_id, external_kind, external_id) DO UPDATE SET presence_status = 'present',
            last_seen_at = excluded.last_seen_at, last_seen_run_id = excluded.last_seen_run_id, search_text = excluded.search_text
        """)

    private static let records = BulkInsert("asset_source_records", [
        .text("record_id"), .text("run_id"), .text("source_id"), .text("link_id"), .text("asset_uuid"), .text("external_kind"),
        .text("external_id"), .bigint("collected_at"), .text("normalized"), .text("raw_hash"),
    ])

    private static let rawPayloads = BulkInsert(
        "asset_raw_payloads", [.text("content_hash"), .text("payload")], tail: "ON CONFLICT (content_hash) DO NOTHING")

    private static let relations = BulkInsert("asset_relations", [
        .text("relation_id"), .text("relation_type"), .text("from_asset_uuid"), .text("to_asset_uuid"), .text("source_id"),
        .constant("status", "'active'"), .bigint("first_seen_at"), .bigint("last_seen_at"), .text("last_seen_run_id"),
    ], tail: """
        ON CONFLICT (relation_type, from_asset_uuid, to_asset_uuid, source_id) DO UPDATE SET status = 'active',
            last_seen_at = excluded.last_seen_at, last_seen_run_id = excluded.last_seen_run_id
        """)

    private static let relationGaps = BulkInsert("asset_relation_gaps", [
        .text("source_id"), .text("from_asset_uuid"), .text("relation_type"), .text("to_external_kind"), .text("to_external_id"),
        .text("run_id"),
    ], tail: "ON CONFLICT DO NOTHING")

    /// A link of the source as it stood before this collect, with its asset's name and status.
    struct KnownLink {
        var key: String
        var linkId: String
        var assetUuid: String
        var kind: String
        var present: Bool
        var displayName: String?
        var status: String?
        var searchText: String
    }

    /// Every link the source has, keyed `kind ␟ external id`, with its asset's name and status (so that what did not
    /// change is not written again).
    private static func knownLinks(_ db: any SQLDatabase, sourceId: String) async throws -> [String: KnownLink] {
        var links: [String: KnownLink] = [:]
        for row in try await db.raw(
            """
            SELECT l.link_id, l.asset_uuid, l.external_kind, l.external_id, l.presence_status, l.search_text, a.display_name,
                   a.status
            FROM asset_source_links l LEFT JOIN assets a ON a.asset_uuid = l.asset_uuid
            WHERE l.source_id = \(bind: sourceId)
            """
        ).all() {
            let kind = try row.string("external_kind")
            let key = kind + "\u{1F}" + (try row.string("external_id"))
            links[key] = KnownLink(
                key: key, linkId: try row.string("link_id"), assetUuid: try row.string("asset_uuid"), kind: kind,
                present: try row.string("presence_status") == "present", displayName: try row.optionalString("display_name"),
                status: try row.optionalString("status"), searchText: try row.string("search_text"))
        }
        return links
    }

    /// What the collect does to each asset (by its index in the inventory): its link and asset ids, new or known.
    struct Plan {
        var linkIds: [String] = []
        var assetUuids: [String] = []
        /// Indexes of assets whose row is written: new ones, and known ones whose name or status changed.
        var assetsToWrite: [Int] = []
        /// Indexes of assets with no link yet.
        var newLinks: [Int] = []
        /// Known links this collect saw.
        var seenLinkIds: [String] = []
        /// Indexes of assets whose known link's search text changed.
        var changedSearchTexts: [Int] = []
        var seen = Set<String>()
        var returning: [String] = []
        /// Asset of every key the source knows, this collect's included (relations find their ends here).
        var uuids: [String: String] = [:]
        var created = 0
    }

    private static func plan(_ assets: [Inventory.Asset], _ links: [String: KnownLink]) -> Plan {
        var plan = Plan()
        plan.linkIds.reserveCapacity(assets.count)
        plan.assetUuids.reserveCapacity(assets.count)
        plan.seen.reserveCapacity(assets.count)
        plan.uuids = links.mapValues(\.assetUuid)
        for (index, asset) in assets.enumerated() {
            if let link = links[asset.key] {
                plan.linkIds.append(link.linkId)
                plan.assetUuids.append(link.assetUuid)
                plan.seenLinkIds.append(link.linkId)
                if link.searchText != asset.searchText { plan.changedSearchTexts.append(index) }
                if link.status == "offline" { plan.returning.append(link.assetUuid) }
                if link.displayName != asset.displayName || link.status != "in_service" { plan.assetsToWrite.append(index) }
            } else {
                // Ids in creation order: appended to their indexes rather than scattered through them.
                let assetUuid = OrderedID.uuid()
                plan.linkIds.append(OrderedID.make("link"))
                plan.assetUuids.append(assetUuid)
                plan.assetsToWrite.append(index)
                plan.newLinks.append(index)
                plan.uuids[asset.key] = assetUuid
                plan.created += 1
            }
            plan.seen.insert(asset.key)
        }
        return plan
    }

    /// Marks rows of the source seen again with one statement over the source's rows when few of its rows were not
    /// seen (the usual repeated collect), else by id; `unseen` is every row of the source (before this collect) not seen.
    private static func touch(
        _ db: any SQLDatabase, table: String, idColumn: String, sourceId: String, seen: [String], unseen: [String],
        set: SQLQueryString
    ) async throws {
        guard !seen.isEmpty else { return }
        if unseen.count <= idsPerStatement {
            var sql: SQLQueryString = "UPDATE \(ident: table) SET "
            sql += set
            sql += " WHERE source_id = \(bind: sourceId)"
            if !unseen.isEmpty { sql += " AND \(ident: idColumn) NOT IN (\(binds: unseen))" }
            try await db.raw(sql).run()
            return
        }
        for chunk in chunks(seen, idsPerStatement) {
            var sql: SQLQueryString = "UPDATE \(ident: table) SET "
            sql += set
            sql += " WHERE \(ident: idColumn) IN (\(binds: Array(chunk)))"
            try await db.raw(sql).run()
        }
    }

    private static func ingestRelations(
        _ db: any SQLDatabase, _ backend: Store.Backend, _ inventory: Inventory, sourceId: String, runId: String, now: Int64,
        uuids: [String: String], coverage: Set<String>, summary: inout Summary
    ) async throws {
        var existing: [String: (id: String, type: String, active: Bool)] = [:]
        for row in try await db.raw(
            "SELECT relation_id, relation_type, from_asset_uuid, to_asset_uuid, status FROM asset_relations WHERE source_id = \(bind: sourceId)"
        ).all() {
            let type = try row.string("relation_type")
            let key = type + "\u{1F}" + (try row.string("from_asset_uuid")) + "\u{1F}" + (try row.string("to_asset_uuid"))
            existing[key] = (try row.string("relation_id"), type, try row.string("status") == "active")
        }
        let foreign = try await foreignTargets(db, inventory.relations, sourceId: sourceId)
        var newRelations: [(type: String, from: String, to: String)] = []
        var seenIds: [String] = []
        var reactivated: [String] = []
        var gapRows: [[BulkInsert.Value]] = []
        var seen = Set<String>()
        for relation in inventory.relations {
            let target = relation.toSourceId.map { $0 == sourceId ? uuids[relation.toKey] : foreign[$0 + "\u{1F}" + relation.toKey] }
                ?? uuids[relation.toKey]
            guard let from = uuids[relation.fromKey], let to = target else {
                summary.relationsSkipped += 1
                // Kept so the asset's relation chain can say the edge exists but its target was never collected.
                if let from = uuids[relation.fromKey], coverage.contains(relation.type) {
                    let target = relation.toKey.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
                    if target.count == 2, seen.insert("gap\u{1F}" + relation.type + from + relation.toKey).inserted {
                        gapRows.append([.text(sourceId), .text(from), .text(relation.type), .text(target[0]), .text(target[1]), .text(runId)])
                    }
                }
                continue
            }
            let key = relation.type + "\u{1F}" + from + "\u{1F}" + to
            guard seen.insert(key).inserted else { continue }
            if let known = existing[key] {
                seenIds.append(known.id)
                if !known.active { reactivated.append(known.id) }
                continue
            }
            newRelations.append((relation.type, from, to))
        }
        summary.relationsActive = newRelations.count + seenIds.count
        // Relations seen again: their last sighting, and those that had gone inactive active again.
        try await touch(
            db, table: "asset_relations", idColumn: "relation_id", sourceId: sourceId, seen: seenIds,
            unseen: existing.filter { !seen.contains($0.key) }.map(\.value.id),
            set: "last_seen_at = \(bind: now), last_seen_run_id = \(bind: runId)")
        for chunk in chunks(reactivated, idsPerStatement) {
            try await db.raw("UPDATE asset_relations SET status = 'active' WHERE relation_id IN (\(binds: Array(chunk)))").run()
        }
        try await relations.run(newRelations, on: db, backend: backend) { relation in
            [.text(OrderedID.make("rel")), .text(relation.type), .text(relation.from), .text(relation.to), .text(sourceId),
             .bigint(now), .bigint(now), .text(runId)]
        }
        try await db.raw(
            "DELETE FROM asset_relation_gaps WHERE source_id = \(bind: sourceId) AND relation_type IN (\(binds: Array(coverage)))"
        ).run()
        try await relationGaps.run(gapRows, on: db, backend: backend) { $0 }
        let unseen = existing.filter { $0.value.active && coverage.contains($0.value.type) && !seen.contains($0.key) }
        summary.relationsInactive = unseen.count
        for chunk in chunks(unseen.map { $0.value.id }, idsPerStatement) {
            try await db.raw(
                "UPDATE asset_relations SET status = 'inactive' WHERE relation_id IN (\(binds: Array(chunk)))").run()
        }
    }

    /// Assets of other sources that relations name by `to.source_id`: each one's present link in that source, keyed
    /// `source ␟ kind ␟ external id`. Why only a reference and no matching here: the collector that made the relation
    /// decided which machine it means (`FathomInstancesCollector`); the ingest only follows the identity it was given,
    /// exactly as it does within one source, so a reference to a machine gone missing is a gap, not a guess.
    private static func foreignTargets(
        _ db: any SQLDatabase, _ relations: [Inventory.Relation], sourceId: String
    ) async throws -> [String: String] {
        let references = relations.filter { $0.toSourceId != nil && $0.toSourceId != sourceId }
        guard !references.isEmpty else { return [:] }
        let wanted = Set(references.map { $0.toSourceId! + "\u{1F}" + $0.toKey })
        let ids = Set(references.compactMap { $0.toKey.split(separator: "\u{1F}", omittingEmptySubsequences: false).last.map(String.init) })
        var found: [String: String] = [:]
        for chunk in chunks(Array(ids), idsPerStatement) {
            for row in try await db.raw(
                """
                SELECT source_id, external_kind, external_id, asset_uuid FROM asset_source_links
                WHERE external_id IN (\(binds: Array(chunk))) AND presence_status = 'present'
                """
            ).all() {
                let key = try row.string("source_id") + "\u{1F}" + (try row.string("external_kind")) + "\u{1F}" + (try row.string("external_id"))
                if wanted.contains(key) { found[key] = try row.string("asset_uuid") }
            }
        }
        return found
    }

    /// Raw documents are keyed by content hash; only hashes not stored yet are sent.
    private static func storeRawPayloads(_ db: any SQLDatabase, _ assets: [Inventory.Asset], backend: Store.Backend) async throws {
        var payloads: [String: String] = [:]
        for asset in assets { payloads[asset.rawHash] = asset.rawText }
        var missing: [(hash: String, text: String)] = []
        for chunk in chunks(Array(payloads.keys), idsPerStatement) {
            var stored = Set<String>()
            for row in try await db.raw(
                "SELECT content_hash FROM asset_raw_payloads WHERE content_hash IN (\(binds: Array(chunk)))"
            ).all() {
                stored.insert(try row.string("content_hash"))
            }
            for hash in chunk where !stored.contains(hash) { missing.append((hash, payloads[hash]!)) }
        }
        try await rawPayloads.run(missing, on: db, backend: backend) { [.text($0.hash), .text($0.text)] }
    }

    static func chunks<T>(_ items: [T], _ size: Int) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<min(items.count, $0 + size)] }
    }
}
