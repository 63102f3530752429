import SQLKit

/// SQL of canonical assets: the list, links, records, edges and the fields kept by hand.
struct AssetStore: Sendable {
    let store: Store
    /// Kept totals of the list, shared by the copies of this value.
    var totals = AssetListTotals()

    struct Filter: Sendable {
        var assetType: String?
        var sourceId: String?
        var status: String?
        var q: String?
        var sortColumn = "created_at"
        var descending = true
    }

    static let columns: SQLQueryString =
        "a.asset_uuid, a.asset_type, a.display_name, a.status, a.merged_into, a.created_at, a.updated_at"

    static func decode(_ row: any SQLRow) throws -> Asset {
        Asset(
            assetUuid: try row.string("asset_uuid"), assetType: try row.string("asset_type"),
            displayName: try row.string("display_name"), status: try row.string("status"),
            mergedInto: try row.optionalString("merged_into"), createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at"))
    }

    /// `q` matches the uuid, or the search text of a link: its external id and the text values of its latest record
    /// (caption, hostnames, IP addresses — the display name always comes from one of them), case-insensitively; LIKE
    /// wildcards in it are taken literally.
    static func condition(_ filter: Filter) -> SQLQueryString {
        var parts: [SQLQueryString] = ["1 = 1"]
        if let value = filter.assetType { parts.append("a.asset_type = \(bind: value)") }
        if let value = filter.status {
            parts.append("a.status = \(bind: value)")
        } else {
            // Merged assets live on in their primary; they are listed only when asked for.
            parts.append("a.status <> 'merged'")
        }
        if let value = filter.sourceId {
            parts.append("EXISTS (SELECT 1 FROM asset_source_links l WHERE l.asset_uuid = a.asset_uuid AND l.source_id = \(bind: value))")
        }
        if let q = filter.q?.lowercased(), !q.isEmpty {
            let escaped = q.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            let pattern = "%" + escaped + "%"
            // The matching assets are found first (one pass over the links' search texts) and the page is sorted from
            // them, instead of walking every asset in the page's order to test each.
            // A merged asset's links moved to its primary: asked for by status, it is found by its display name.
            let merged: SQLQueryString = filter.status == "merged"
                ? """
                   UNION ALL SELECT m.asset_uuid FROM assets m
                   WHERE m.status = 'merged' AND LOWER(m.display_name) LIKE \(bind: pattern) ESCAPE '\\'
                  """
                : ""
            parts.append(
                """
                a.asset_uuid IN (SELECT \(bind: q) UNION ALL
                                 SELECT l.asset_uuid FROM asset_source_links l WHERE l.search_text LIKE \(bind: pattern) ESCAPE '\\'
                                 \(merged))
                """)
        }
        return parts.joined(separator: " AND ")
    }

    /// The key of a filter's total: everything but the order.
    static func totalKey(_ filter: Filter) -> String {
        [filter.assetType, filter.sourceId, filter.status, filter.q?.lowercased()].map { $0 ?? "\u{0}" }
            .joined(separator: "\u{1F}")
    }

    /// An asset of a list page with the sources that report it (in the order they first reported it).
    struct Listed: Sendable {
        var asset: Asset
        var sources: [AssetSummaryView.SourceRef]
        var assetUuid: String { asset.assetUuid }
    }

    /// A page with each asset's sources, and the filter's total. The page and its sources are one statement (the page
    /// walked from the index of its order, then joined to its links): per request that is one statement to prepare,
    /// run and hand back instead of two. The total is counted once per version of the list (`AssetListTotals`).
    func list(_ filter: Filter, offset: Int, limit: Int) async throws -> (items: [Listed], total: Int) {
        let condition = Self.condition(filter)
        // The column comes from a fixed table (Asset.sortFields), never from the request text.
        let direction = filter.descending ? "DESC" : "ASC"
        let orderText = "a." + filter.sortColumn + " " + direction + ", a.asset_uuid " + direction
        let order = SQLQueryString(orderText)
        let outerOrder = SQLQueryString(
            "p." + filter.sortColumn + " " + direction + ", p.asset_uuid " + direction + ", l.first_seen_at, l.link_id")
        let key = Self.totalKey(filter)
        let totals = self.totals
        return try await store.read { db in
            let rows = try await db.raw(
                """
                SELECT p.*, l.source_id AS link_source_id, s.name AS link_source_name, l.external_id AS link_external_id
                FROM (SELECT \(Self.columns), \(AssetListTotals.versionColumn) FROM assets a WHERE \(condition)
                      ORDER BY \(order) LIMIT \(bind: limit) OFFSET \(bind: offset)) p
                LEFT JOIN asset_source_links l ON l.asset_uuid = p.asset_uuid
                LEFT JOIN asset_sources s ON s.source_id = l.source_id
                ORDER BY \(outerOrder)
                """
            ).all()
            var items: [Listed] = []
            for row in rows {
                let uuid = try row.string("asset_uuid")
                if items.last?.assetUuid != uuid {
                    items.append(Listed(asset: try Self.decode(row), sources: []))
                }
                // A link's source always exists (sources are only marked deleted); a missing one is no link.
                if let sourceName = try row.optionalString("link_source_name") {
                    items[items.count - 1].sources.append(.init(
                        sourceId: try row.string("link_source_id"), sourceName: sourceName,
                        externalId: try row.string("link_external_id")))
                }
            }
            // An empty page has no version to key a total by: it is counted (past the end, or nothing matches).
            guard let version = try rows.first?.int64("list_version") else {
                return (items, try await Self.count(condition, on: db))
            }
            if let total = totals.total(version: version, filter: key) { return (items, total) }
            let total = try await Self.count(condition, on: db)
            totals.remember(total, version: version, filter: key)
            return (items, total)
        }
    }

    static func count(_ condition: SQLQueryString, on db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM assets a WHERE \(condition)").first()?.int("n") ?? 0
    }

    func get(_ uuid: String) async throws -> Asset? {
        try await store.read { db in try await Self.get(uuid, on: db) }
    }

    static func get(_ uuid: String, on db: any SQLDatabase) async throws -> Asset? {
        try await db.raw("SELECT \(columns) FROM assets a WHERE a.asset_uuid = \(bind: uuid)").first().map(decode)
    }

    func links(of uuids: [String]) async throws -> [Asset.Link] {
        guard !uuids.isEmpty else { return [] }
        return try await store.read { db in try await Self.links(of: uuids, on: db) }
    }

    static func links(of uuids: [String], on db: any SQLDatabase) async throws -> [Asset.Link] {
        try await db.raw(
            """
            SELECT l.link_id, l.asset_uuid, l.source_id, s.name AS source_name, s.deleted_at, l.external_kind,
                   l.external_id, l.presence_status, l.last_seen_at
            FROM asset_source_links l JOIN asset_sources s ON s.source_id = l.source_id
            WHERE l.asset_uuid IN (\(binds: uuids)) ORDER BY l.first_seen_at, l.link_id
            """
        ).all().map { row in
            Asset.Link(
                linkId: try row.string("link_id"), assetUuid: try row.string("asset_uuid"),
                sourceId: try row.string("source_id"), sourceName: try row.string("source_name"),
                sourceDeleted: try row.optionalInt64("deleted_at") != nil, externalKind: try row.string("external_kind"),
                externalId: try row.string("external_id"), presenceStatus: try row.string("presence_status"),
                lastSeenAt: try row.int64("last_seen_at"))
        }
    }

    static func decodeRecord(_ row: any SQLRow) throws -> CanonicalMerge.Record {
        let text = try row.string("normalized")
        return CanonicalMerge.Record(
            sourceId: try row.string("source_id"), runId: try row.string("run_id"), recordId: try row.string("record_id"),
            collectedAt: try row.int64("collected_at"),
            normalized: JSONText.decode(text))
    }

    func records(_ uuid: String, sourceId: String?, runId: String?, offset: Int, limit: Int) async throws
        -> (items: [(record: CanonicalMerge.Record, sourceName: String)], total: Int)
    {
        var parts: [SQLQueryString] = ["r.asset_uuid = \(bind: uuid)"]
        if let sourceId { parts.append("r.source_id = \(bind: sourceId)") }
        if let runId { parts.append("r.run_id = \(bind: runId)") }
        let condition = parts.joined(separator: " AND ")
        return try await store.read { db in
            let total = try await db.raw("SELECT COUNT(*) AS n FROM asset_source_records r WHERE \(condition)").first()?.int("n") ?? 0
            let rows = try await db.raw(
                """
                SELECT r.record_id, r.run_id, r.source_id, s.name AS source_name, r.collected_at, r.normalized
                FROM asset_source_records r JOIN asset_sources s ON s.source_id = r.source_id
                WHERE \(condition) ORDER BY r.collected_at DESC, r.record_id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all()
            return (try rows.map { (record: try Self.decodeRecord($0), sourceName: try $0.string("source_name")) }, total)
        }
    }

    /// Edges leaving the given assets (active and inactive), with their targets.
    func outgoing(from uuids: [String]) async throws -> [Asset.Edge] {
        guard !uuids.isEmpty else { return [] }
        return try await store.read { db in
            try await db.raw(
                """
                SELECT e.relation_type, e.from_asset_uuid, e.source_id, e.status AS edge_status, \(Self.columns)
                FROM asset_relations e JOIN assets a ON a.asset_uuid = e.to_asset_uuid
                WHERE e.from_asset_uuid IN (\(binds: uuids))
                ORDER BY CASE e.status WHEN 'active' THEN 0 ELSE 1 END, e.last_seen_at DESC, e.relation_id
                """
            ).all().map { row in
                Asset.Edge(
                    type: try row.string("relation_type"), fromUuid: try row.string("from_asset_uuid"),
                    sourceId: try row.string("source_id"), status: try row.string("edge_status"), to: try Self.decode(row))
            }
        }
    }

    /// Edges that end at the asset (what runs on a machine, what a cluster holds), each with the asset it comes
    /// from in `to` (the far end, as `outgoing` does); active ones first.
    func incoming(to uuid: String) async throws -> [Asset.Edge] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT e.relation_type, e.from_asset_uuid, e.source_id, e.status AS edge_status, \(Self.columns)
                FROM asset_relations e JOIN assets a ON a.asset_uuid = e.from_asset_uuid
                WHERE e.to_asset_uuid = \(bind: uuid) AND a.status <> 'merged'
                ORDER BY CASE e.status WHEN 'active' THEN 0 ELSE 1 END, a.display_name, e.relation_id
                LIMIT 500
                """
            ).all().map { row in
                Asset.Edge(
                    type: try row.string("relation_type"), fromUuid: try row.string("from_asset_uuid"),
                    sourceId: try row.string("source_id"), status: try row.string("edge_status"), to: try Self.decode(row))
            }
        }
    }

    func gaps(from uuid: String) async throws -> [Asset.Gap] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT source_id, relation_type, to_external_kind, to_external_id FROM asset_relation_gaps
                WHERE from_asset_uuid = \(bind: uuid) ORDER BY source_id, relation_type, to_external_id
                """
            ).all().map { row in
                Asset.Gap(
                    sourceId: try row.string("source_id"), type: try row.string("relation_type"),
                    toKind: try row.string("to_external_kind"), toExternalId: try row.string("to_external_id"))
            }
        }
    }


    /// Everything an asset's detail shows, in one statement: on PostgreSQL each statement is a round trip, and with
    /// three of them the statements' overhead was most of a detail's cost (BENCHMARKS.md, issue 14). nil if the
    /// asset does not exist.
    ///
    /// Its rows are of five kinds, in columns shared by all (`t*` text, `n*` integers):
    /// - `asset`: t1 asset_uuid, t2 asset_type, t3 display_name, t4 status, t5 merged_into; n1 created_at, n2 updated_at;
    /// - `link`: t1 link_id, t2 source_id, t3 the source's name, t4 external_kind, t5 external_id, t6 presence_status;
    ///   n1 last_seen_at, n2 first_seen_at, n3 the source's deleted_at;
    /// - `record` (each link's latest): t1 record_id, t2 run_id, t3 source_id, t4 normalized; n1 collected_at;
    /// - `manual` (a hand-kept leaf): t1 field_path, t2 updated_by, t4 value; n1 updated_at;
    /// - `edge` (active ones only: the detail shows no other): t1 relation_id, t2 relation_type, t3 source_id, t4–t8 the
    ///   target's asset_uuid, asset_type, display_name, status, merged_into; n1 last_seen_at, n2–n3 the target's
    ///   created_at, updated_at.
    ///
    /// Rows come unordered and are put in the detail's orders here: links by first sighting, records newest first
    /// (as the export orders them), edges most recently seen first.
    func detail(_ uuid: String) async throws -> Asset.Detail? {
        let rows = try await store.read { db in
            try await db.raw(
                """
                SELECT 'asset' AS kind, a.asset_uuid AS t1, a.asset_type AS t2, a.display_name AS t3, a.status AS t4,
                       a.merged_into AS t5, CAST(NULL AS TEXT) AS t6, CAST(NULL AS TEXT) AS t7, CAST(NULL AS TEXT) AS t8,
                       a.created_at AS n1, a.updated_at AS n2, CAST(NULL AS BIGINT) AS n3
                FROM assets a WHERE a.asset_uuid = \(bind: uuid)
                UNION ALL
                SELECT 'link', l.link_id, l.source_id, s.name, l.external_kind, l.external_id, l.presence_status, NULL, NULL,
                       l.last_seen_at, l.first_seen_at, s.deleted_at
                FROM asset_source_links l JOIN asset_sources s ON s.source_id = l.source_id
                WHERE l.asset_uuid = \(bind: uuid)
                UNION ALL
                SELECT 'record', r.record_id, r.run_id, r.source_id, r.normalized, NULL, NULL, NULL, NULL,
                       r.collected_at, NULL, NULL
                FROM asset_source_links l JOIN asset_source_records r ON r.asset_uuid = l.asset_uuid AND r.link_id = l.link_id AND r.run_id = l.last_seen_run_id
                WHERE l.asset_uuid = \(bind: uuid)
                UNION ALL
                SELECT 'manual', f.field_path, f.updated_by, NULL, f.value, NULL, NULL, NULL, NULL, f.updated_at, NULL, NULL
                FROM asset_ledger_fields f WHERE f.asset_uuid = \(bind: uuid)
                UNION ALL
                SELECT 'edge', e.relation_id, e.relation_type, e.source_id, a.asset_uuid, a.asset_type, a.display_name, a.status,
                       a.merged_into, e.last_seen_at, a.created_at, a.updated_at
                FROM asset_relations e JOIN assets a ON a.asset_uuid = e.to_asset_uuid
                WHERE e.from_asset_uuid = \(bind: uuid) AND e.status = 'active'
                """
            ).all()
        }
        var found: Asset?
        var links: [(link: Asset.Link, firstSeenAt: Int64)] = []
        var records: [CanonicalMerge.Record] = []
        var manual: [(path: String, leaf: CanonicalMerge.Manual)] = []
        var edges: [(edge: Asset.Edge, lastSeenAt: Int64, id: String)] = []
        for row in rows {
            switch try row.string("kind") {
            case "asset":
                found = Asset(
                    assetUuid: try row.string("t1"), assetType: try row.string("t2"), displayName: try row.string("t3"),
                    status: try row.string("t4"), mergedInto: try row.optionalString("t5"), createdAt: try row.int64("n1"),
                    updatedAt: try row.int64("n2"))
            case "link":
                links.append((Asset.Link(
                    linkId: try row.string("t1"), assetUuid: uuid, sourceId: try row.string("t2"), sourceName: try row.string("t3"),
                    sourceDeleted: try row.optionalInt64("n3") != nil, externalKind: try row.string("t4"),
                    externalId: try row.string("t5"), presenceStatus: try row.string("t6"), lastSeenAt: try row.int64("n1")),
                    try row.int64("n2")))
            case "record":
                records.append(CanonicalMerge.Record(
                    sourceId: try row.string("t3"), runId: try row.string("t2"), recordId: try row.string("t1"),
                    collectedAt: try row.int64("n1"), normalized: JSONText.decode(try row.string("t4"))))
            case "manual":
                manual.append((try row.string("t1"), CanonicalMerge.Manual(
                    value: JSONText.decode(try row.string("t4")), updatedAt: try row.int64("n1"), updatedBy: try row.string("t2"))))
            default:
                let target = Asset(
                    assetUuid: try row.string("t4"), assetType: try row.string("t5"), displayName: try row.string("t6"),
                    status: try row.string("t7"), mergedInto: try row.optionalString("t8"), createdAt: try row.int64("n2"),
                    updatedAt: try row.int64("n3"))
                edges.append((Asset.Edge(
                    type: try row.string("t2"), fromUuid: uuid, sourceId: try row.string("t3"), status: "active", to: target),
                    try row.int64("n1"), try row.string("t1")))
            }
        }
        guard let asset = found else { return nil }
        links.sort { ($0.firstSeenAt, $0.link.linkId) < ($1.firstSeenAt, $1.link.linkId) }
        records.sort { ($0.collectedAt, $0.recordId) > ($1.collectedAt, $1.recordId) }
        edges.sort { $0.lastSeenAt != $1.lastSeenAt ? $0.lastSeenAt > $1.lastSeenAt : $0.id < $1.id }
        return Asset.Detail(
            asset: asset, links: links.map(\.link), records: records,
            manual: Dictionary(manual.map { ($0.path, $0.leaf) }, uniquingKeysWith: { first, _ in first }),
            outgoing: edges.map(\.edge))
    }

    /// Sets (or, for nil, clears) hand-kept leaves on every asset in one transaction; returns the uuids that do not
    /// exist (then nothing is written).
    func setLedgerFields(_ uuids: [String], _ leaves: [(path: String, value: JSONValue?)], now: Int64, by: String)
        async throws -> [String]
    {
        try await store.write { db in
            var known = Set<String>()
            for chunk in IngestStore.chunks(uuids, 500) {
                for row in try await db.raw(
                    "SELECT asset_uuid FROM assets WHERE asset_uuid IN (\(binds: Array(chunk))) AND status <> 'merged'"
                ).all() {
                    known.insert(try row.string("asset_uuid"))
                }
            }
            let unknown = uuids.filter { !known.contains($0) }
            guard unknown.isEmpty else { return unknown }
            for uuid in uuids {
                for (path, value) in leaves {
                    if let value {
                        try await db.raw(
                            """
                            INSERT INTO asset_ledger_fields (asset_uuid, field_path, value, updated_at, updated_by)
                            VALUES (\(bind: uuid), \(bind: path), \(bind: JSONText.encode(value)), \(bind: now), \(bind: by))
                            ON CONFLICT (asset_uuid, field_path) DO UPDATE SET value = excluded.value,
                                updated_at = excluded.updated_at, updated_by = excluded.updated_by
                            """
                        ).run()
                    } else {
                        try await db.raw(
                            "DELETE FROM asset_ledger_fields WHERE asset_uuid = \(bind: uuid) AND field_path = \(bind: path)"
                        ).run()
                    }
                }
            }
            var changes: [String: JSONValue] = [:]
            for (path, value) in leaves { changes[path] = value ?? .null }
            try await AssetEvents.append(
                db, assets: uuids, type: "ledger_fields_changed", at: now, actor: by, details: ["fields": .object(changes)])
            for uuid in uuids {
                try await AuditLog.append(
                    db, "asset.ledger_fields_updated", actor: by, target: ("asset", uuid), at: now, details: ["fields": .object(changes)])
            }
            return []
        }
    }

    /// Every record of the asset, per link in collection order: what history diffs.
    func recordHistory(_ uuid: String) async throws -> [(linkId: String, record: CanonicalMerge.Record)] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT link_id, record_id, run_id, source_id, collected_at, normalized FROM asset_source_records
                WHERE asset_uuid = \(bind: uuid) ORDER BY link_id, collected_at, record_id
                """
            ).all().map { (linkId: try $0.string("link_id"), record: try Self.decodeRecord($0)) }
        }
    }

    struct Event: Sendable {
        var type: String
        var occurredAt: Int64
        var actor: String?
        var details: JSONValue
    }

    func events(_ uuid: String) async throws -> [Event] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT event_type, occurred_at, actor, details FROM asset_events WHERE asset_uuid = \(bind: uuid)
                ORDER BY occurred_at, event_id
                """
            ).all().map {
                Event(type: try $0.string("event_type"), occurredAt: try $0.int64("occurred_at"),
                      actor: try $0.optionalString("actor"), details: JSONText.decode(try $0.string("details")))
            }
        }
    }

    /// An asset as the export writes it: its links summed up, its links' latest records (newest first, only the
    /// export's paths of each) and its hand-kept values by dotted path.
    struct ExportItem: Sendable {
        var assetUuid: String
        var assetType: String
        var status: String
        var displayName: String
        var lastSeenAt: Int64?
        /// `source name:external id` of each link, in the order the sources first reported the asset.
        var sources: [String] = []
        var documents: [JSONValue] = []
        var manual: [String: JSONValue] = [:]
    }

    /// One export batch's rows, in one statement: the filter's assets after `after` in uuid order (keyset paging keeps
    /// each batch O(batch)), each with its links, the latest record of each link and the hand-kept values. The rows
    /// are ordered by asset uuid, so the last one's is where the next batch starts. `exportItems` reads them: the
    /// export reads the next batch's rows while this one's are taken apart.
    func exportRows(_ filter: Filter, after: String, limit: Int) async throws -> [any SQLRow] {
        let condition = Self.condition(filter)
        let joins: SQLQueryString
        if store.backend == .postgres {
            // PostgreSQL: links and records are joined by the batch's uuid range, so each index is walked once per
            // batch (merge and hash joins) instead of probed per asset; probing was four fifths of its time.
            joins = """
                LEFT JOIN (asset_source_links l JOIN asset_sources s ON s.source_id = l.source_id
                           LEFT JOIN asset_source_records r ON r.asset_uuid = l.asset_uuid AND r.link_id = l.link_id
                                AND r.run_id = l.last_seen_run_id AND r.asset_uuid > \(bind: after)
                                AND r.asset_uuid <= (SELECT MAX(asset_uuid) FROM b))
                     ON l.asset_uuid = b.asset_uuid AND l.asset_uuid > \(bind: after)
                        AND l.asset_uuid <= (SELECT MAX(asset_uuid) FROM b)
                """
        } else {
            // SQLite: per-asset index lookups cost next to nothing in process, but a range bound makes it read the
            // records by run (a whole run per link): the records' asset index is named.
            joins = """
                LEFT JOIN asset_source_links l ON l.asset_uuid = b.asset_uuid
                LEFT JOIN asset_sources s ON s.source_id = l.source_id
                LEFT JOIN asset_source_records r INDEXED BY asset_source_records_asset
                     ON r.asset_uuid = l.asset_uuid AND r.link_id = l.link_id AND r.run_id = l.last_seen_run_id
                """
        }
        return try await store.read { db in
            // Rows: per asset its links (kind 0, in first-seen order, each with its latest record if any, the record's
            // place among the asset's records newest first in `record_rank`), then its hand-kept values (kind 1).
            // One statement instead of four: one to plan and one round trip per batch.
            try await db.raw(
                """
                WITH b AS (SELECT a.asset_uuid, a.asset_type, a.display_name, a.status FROM assets a
                           WHERE \(condition) AND a.asset_uuid > \(bind: after) ORDER BY a.asset_uuid LIMIT \(bind: limit))
                SELECT b.asset_uuid, b.asset_type, b.display_name, b.status, 0 AS kind, l.first_seen_at AS first_seen,
                       l.link_id AS item_id, s.name AS source_name, l.external_id, l.last_seen_at, r.normalized AS body,
                       RANK() OVER (PARTITION BY b.asset_uuid ORDER BY r.collected_at DESC, r.record_id DESC) AS record_rank
                FROM b \(joins)
                UNION ALL
                SELECT f.asset_uuid, '', '', '', 1, 0, f.field_path, NULL, NULL, NULL, f.value, 0
                FROM asset_ledger_fields f JOIN b ON b.asset_uuid = f.asset_uuid
                WHERE f.asset_uuid > \(bind: after) AND f.asset_uuid <= (SELECT MAX(asset_uuid) FROM b)
                ORDER BY 1, 5, 6, 7
                """
            ).all()
        }
    }

    /// An export batch's rows and the asset they end with, where the next batch starts (nil: none, the end).
    struct ExportRows: Sendable {
        var rows: [any SQLRow]
        var lastAsset: String?

        init(rows: [any SQLRow]) throws {
            self.rows = rows
            lastAsset = try rows.last?.string("asset_uuid")
        }
    }

    /// The assets of an export batch's rows (`exportRows`), keeping only `paths` of each record.
    static func exportItems(_ rows: [any SQLRow], keeping paths: JSONPaths) throws -> [ExportItem] {
        var items: [ExportItem] = []
        var records: [(rank: Int64, document: JSONValue)] = []
        var lastLink = ""
        func finish() {
            guard !records.isEmpty else { return }
            records.sort { $0.rank < $1.rank }
            items[items.count - 1].documents = records.map(\.document)
            records.removeAll(keepingCapacity: true)
        }
        for row in rows {
            let uuid = try row.string("asset_uuid")
            if items.last?.assetUuid != uuid {
                finish()
                items.append(ExportItem(
                    assetUuid: uuid, assetType: try row.string("asset_type"), status: try row.string("status"),
                    displayName: try row.string("display_name")))
                lastLink = ""
            }
            if try row.int("kind") == 1 {
                items[items.count - 1].manual[try row.string("item_id")] = JSONText.decode(try row.string("body"))
                continue
            }
            // No link (the one row of an asset without links).
            guard let sourceName = try row.optionalString("source_name") else { continue }
            // A link with two records of its latest run is two rows: it is one link.
            let linkId = try row.string("item_id")
            if linkId != lastLink {
                lastLink = linkId
                let seen = try row.int64("last_seen_at")
                items[items.count - 1].lastSeenAt = max(items[items.count - 1].lastSeenAt ?? seen, seen)
                items[items.count - 1].sources.append(sourceName + ":" + (try row.string("external_id")))
            }
            if let body = try row.optionalString("body") {
                records.append((try row.int64("record_rank"), JSONText.decode(body, keeping: paths)))
            }
        }
        finish()
        return items
    }
}
