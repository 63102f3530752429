import SQLKit

/// SQL of duplicate candidates: what detection reads, the candidates it keeps, the list and ignore.
struct DuplicateStore: Sendable {
    let store: Store

    /// Every asset that can have duplicates, with the latest record of each of its links.
    func identities() async throws -> [(uuid: String, kind: String, records: [JSONValue])] {
        try await store.read { db in
            var result: [(uuid: String, kind: String, records: [JSONValue])] = []
            var positions: [String: Int] = [:]
            // Records are reached through their asset (a record's asset is always its link's; a merge moves both):
            // joined on the run alone, each link scanned every record of its run, quadratic in the ledger's size.
            for row in try await db.raw(
                """
                SELECT a.asset_uuid, a.asset_type, r.normalized
                FROM assets a JOIN asset_source_links l ON l.asset_uuid = a.asset_uuid
                JOIN asset_source_records r ON r.asset_uuid = l.asset_uuid AND r.link_id = l.link_id AND r.run_id = l.last_seen_run_id
                WHERE a.status <> 'merged' AND a.asset_type IN ('vm', 'host')
                """
            ).all() {
                let uuid = try row.string("asset_uuid")
                let normalized = JSONText.decode(try row.string("normalized"))
                if let position = positions[uuid] {
                    result[position].records.append(normalized)
                } else {
                    positions[uuid] = result.count
                    result.append((uuid, try row.string("asset_type"), [normalized]))
                }
            }
            return result
        }
    }

    /// Keys sorted, so that the same reasons are the same text in every process (an unchanged pair is not rewritten).
    static func reasons(_ keys: [DuplicateScoring.Key]) -> String {
        CollectorJSON.text(.array(keys.sorted { ($0.score, $0.rule, $0.value) > ($1.score, $1.rule, $1.value) }.map { key -> JSONValue in
            ["rule": .string(key.rule), "value": .string(key.value), "score": .int(Int64(key.score))]
        }))
    }

    /// Replaces the open candidates with this detection's pairs; ignored pairs stay ignored (their score is kept
    /// current) and merged ones closed. Returns (open, ignored) counts written.
    func save(_ pairs: [DuplicateScoring.Pair], now: Int64) async throws -> Int {
        try await store.write { db in
            var existing: [String: (id: String, status: String, score: Int, reasons: String)] = [:]
            for row in try await db.raw(
                "SELECT candidate_id, first_asset_uuid, second_asset_uuid, status, score, reasons FROM asset_duplicate_candidates"
            ).all() {
                existing[try row.string("first_asset_uuid") + " " + (try row.string("second_asset_uuid"))] =
                    (try row.string("candidate_id"), try row.string("status"), try row.int("score"), try row.string("reasons"))
            }
            var found = Set<String>()
            for pair in pairs {
                let key = pair.first + " " + pair.second
                found.insert(key)
                let reasons = Self.reasons(pair.reasons)
                if let current = existing[key] {
                    // A pair found again as it was is left alone (a detection runs after every collect).
                    guard current.status != "merged", current.score != pair.score || current.reasons != reasons else { continue }
                    try await db.raw(
                        """
                        UPDATE asset_duplicate_candidates SET score = \(bind: pair.score), reasons = \(bind: reasons),
                            updated_at = \(bind: now) WHERE candidate_id = \(bind: current.id)
                        """
                    ).run()
                } else {
                    try await db.raw(
                        """
                        INSERT INTO asset_duplicate_candidates (candidate_id, first_asset_uuid, second_asset_uuid, asset_type, score,
                                                                reasons, status, created_at, updated_at)
                        VALUES (\(bind: LedgerID.make("dup")), \(bind: pair.first), \(bind: pair.second), \(bind: pair.assetType),
                                \(bind: pair.score), \(bind: reasons), 'open', \(bind: now), \(bind: now))
                        """
                    ).run()
                }
            }
            // Open pairs that no longer share anything are withdrawn.
            let stale = existing.filter { $0.value.status == "open" && !found.contains($0.key) }.map(\.value.id)
            for chunk in IngestStore.chunks(stale, 500) {
                try await db.raw("DELETE FROM asset_duplicate_candidates WHERE candidate_id IN (\(binds: Array(chunk)))").run()
            }
            return pairs.count
        }
    }

    struct Filter: Sendable {
        var status: String?
        var assetType: String?
        var level: String?
        var assetUuid: String?
    }

    struct Candidate: Sendable {
        var candidateId: String
        var assetType: String
        var score: Int
        var reasons: JSONValue
        var status: String
        var first: Asset
        var second: Asset
        var createdAt: Int64
        var updatedAt: Int64
    }

    static let select: SQLQueryString = """
        SELECT c.candidate_id, c.asset_type AS candidate_type, c.score, c.reasons, c.status AS candidate_status,
               c.created_at AS candidate_created, c.updated_at AS candidate_updated,
               a.asset_uuid, a.asset_type, a.display_name, a.status, a.merged_into, a.created_at, a.updated_at,
               b.asset_uuid AS b_asset_uuid, b.asset_type AS b_asset_type, b.display_name AS b_display_name,
               b.status AS b_status, b.merged_into AS b_merged_into, b.created_at AS b_created_at, b.updated_at AS b_updated_at
        FROM asset_duplicate_candidates c JOIN assets a ON a.asset_uuid = c.first_asset_uuid
        JOIN assets b ON b.asset_uuid = c.second_asset_uuid
        """

    static func decode(_ row: any SQLRow) throws -> Candidate {
        Candidate(
            candidateId: try row.string("candidate_id"), assetType: try row.string("candidate_type"), score: try row.int("score"),
            reasons: JSONText.decode(try row.string("reasons")), status: try row.string("candidate_status"),
            first: try AssetStore.decode(row),
            second: Asset(
                assetUuid: try row.string("b_asset_uuid"), assetType: try row.string("b_asset_type"),
                displayName: try row.string("b_display_name"), status: try row.string("b_status"),
                mergedInto: try row.optionalString("b_merged_into"), createdAt: try row.int64("b_created_at"),
                updatedAt: try row.int64("b_updated_at")),
            createdAt: try row.int64("candidate_created"), updatedAt: try row.int64("candidate_updated"))
    }

    func list(_ filter: Filter, offset: Int, limit: Int) async throws -> (items: [Candidate], total: Int) {
        var parts: [SQLQueryString] = ["c.status = \(bind: filter.status ?? "open")"]
        if let value = filter.assetType { parts.append("c.asset_type = \(bind: value)") }
        if filter.level == "high" { parts.append("c.score >= \(bind: DuplicateScoring.high)") }
        if filter.level == "medium" { parts.append("c.score < \(bind: DuplicateScoring.high)") }
        if let value = filter.assetUuid {
            parts.append("(c.first_asset_uuid = \(bind: value) OR c.second_asset_uuid = \(bind: value))")
        }
        let condition = parts.joined(separator: " AND ")
        return try await store.read { db in
            let total = try await db.raw("SELECT COUNT(*) AS n FROM asset_duplicate_candidates c WHERE \(condition)").first()?.int("n") ?? 0
            let rows = try await db.raw(
                """
                \(Self.select) WHERE \(condition) ORDER BY c.score DESC, c.updated_at DESC, c.candidate_id
                LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all()
            return (try rows.map(Self.decode), total)
        }
    }

    /// Marks an open candidate ignored; nil if it does not exist.
    func ignore(_ id: String, now: Int64) async throws -> Candidate? {
        try await store.write { db in
            try await db.raw(
                """
                UPDATE asset_duplicate_candidates SET status = 'ignored', updated_at = \(bind: now)
                WHERE candidate_id = \(bind: id) AND status = 'open'
                """
            ).run()
            return try await db.raw("\(Self.select) WHERE c.candidate_id = \(bind: id)").first().map(Self.decode)
        }
    }
}
