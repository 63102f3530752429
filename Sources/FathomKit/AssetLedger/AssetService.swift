/// The rules of canonical assets: the merged view, the relation chain and its gaps, and fields kept by hand.
struct AssetService: Sendable {
    let assets: AssetStore
    let clock: WallClock

    /// The edge each kind of asset is expected to have: what `/relations` explains when it is absent.
    static let expectedEdge = ["vm": "runs_on", "host": "member_of"]
    static let maxChainDepth = 4

    func list(_ filter: AssetStore.Filter, page: PageRequest) async throws -> (items: [AssetSummaryView], total: Int) {
        let result = try await assets.list(filter, offset: page.offset, limit: page.size)
        return (result.items.map { AssetSummaryView($0.asset, sources: $0.sources) }, result.total)
    }

    func require(_ uuid: String) async throws -> Asset {
        guard let asset = try await assets.get(uuid) else {
            throw AppError(.configAssetNotFound, redactedContext: ["assetUuid": .string(uuid)])
        }
        return asset
    }

    func detail(_ uuid: String) async throws -> AssetDetailView {
        guard let detail = try await assets.detail(uuid) else {
            throw AppError(.configAssetNotFound, redactedContext: ["assetUuid": .string(uuid)])
        }
        let (asset, links) = (detail.asset, detail.links)
        let fields = CanonicalMerge.fields(detail.records, manual: detail.manual)
        let outgoing = detail.outgoing.map {
            AssetDetailView.Canonical.Outgoing(type: $0.type, to: AssetRefView($0.to), sourceId: $0.sourceId)
        }
        return AssetDetailView(
            assetUuid: asset.assetUuid, assetType: asset.assetType, displayName: asset.displayName, status: asset.status,
            mergedInto: asset.mergedInto, canonical: .init(fields: fields, relations: ["outgoing": outgoing]),
            sourceLinks: links.map(SourceLinkView.init), createdAt: Timestamp.iso8601(millis: asset.createdAt),
            updatedAt: Timestamp.iso8601(millis: asset.updatedAt))
    }

    func records(_ uuid: String, sourceId: String?, runId: String?, page: PageRequest) async throws
        -> (items: [SourceRecordView], total: Int)
    {
        _ = try await require(uuid)
        let result = try await assets.records(uuid, sourceId: sourceId, runId: runId, offset: page.offset, limit: page.size)
        return (result.items.map { SourceRecordView($0.record, sourceName: $0.sourceName) }, result.total)
    }

    /// The chain of outgoing edges from the asset (each level read once), and for the asset itself why an expected
    /// edge is absent from a linked source.
    func relations(_ uuid: String) async throws -> RelationNodeView {
        let asset = try await require(uuid)
        var levels: [[Asset.Edge]] = []
        var frontier = [uuid]
        var visited: Set<String> = [uuid]
        for _ in 0..<Self.maxChainDepth where !frontier.isEmpty {
            let edges = try await assets.outgoing(from: frontier)
            levels.append(edges)
            frontier = Array(Set(edges.map(\.to.assetUuid)).subtracting(visited))
            visited.formUnion(frontier)
        }
        func node(_ asset: Asset, depth: Int, path: Set<String>) -> [RelationNodeView.Edge]? {
            guard depth < levels.count else { return nil }
            let edges = levels[depth].filter { $0.fromUuid == asset.assetUuid && !path.contains($0.to.assetUuid) }
            guard !edges.isEmpty || depth == 0 else { return nil }
            return edges.map { edge -> RelationNodeView.Edge in
                let children = node(edge.to, depth: depth + 1, path: path.union([edge.to.assetUuid]))
                return .init(type: edge.type, to: RelationNodeView(edge.to, outgoing: children, missing: nil),
                             sourceId: edge.sourceId, status: edge.status)
            }
        }
        let outgoing = node(asset, depth: 0, path: [uuid]) ?? []
        let incoming = try await assets.incoming(to: uuid).map {
            RelationNodeView.IncomingEdge(type: $0.type, from: AssetRefView($0.to), sourceId: $0.sourceId, status: $0.status)
        }
        return RelationNodeView(asset, outgoing: outgoing, missing: try await missing(asset, outgoing: outgoing), incoming: incoming)
    }

    private func missing(_ asset: Asset, outgoing: [RelationNodeView.Edge]) async throws -> [RelationNodeView.Missing] {
        guard let type = Self.expectedEdge[asset.assetType] else { return [] }
        let gaps = try await assets.gaps(from: asset.assetUuid)
        var result: [RelationNodeView.Missing] = []
        // A deleted source's edges stay as it last reported them but are no longer kept current: always explained.
        for link in try await assets.links(of: [asset.assetUuid])
        where link.sourceDeleted
            || !outgoing.contains(where: { $0.type == type && $0.sourceId == link.sourceId && $0.status == "active" })
        {
            var item = RelationNodeView.Missing(
                type: type, sourceId: link.sourceId, sourceName: link.sourceName, reason: "not_provided_by_source",
                message: "The source's latest collect reports no \(type) edge for this asset")
            if link.sourceDeleted {
                (item.reason, item.message) = ("source_deleted", "The source was deleted; its edges are no longer kept current")
            } else if let gap = gaps.first(where: { $0.sourceId == link.sourceId && $0.type == type }) {
                (item.reason, item.message) = ("target_not_collected", "The source reports the edge but never collected its target")
                item.target = ["externalKind": gap.toKind, "externalId": gap.toExternalId]
            }
            result.append(item)
        }
        return result
    }

    func history(_ uuid: String, page: PageRequest) async throws -> (items: [AssetHistory.Entry], total: Int) {
        _ = try await require(uuid)
        let entries = AssetHistory.entries(records: try await assets.recordHistory(uuid), events: try await assets.events(uuid))
        return (Array(entries.dropFirst(page.offset).prefix(page.size)), entries.count)
    }

    /// Sets hand-kept leaves on one asset and returns its detail.
    func setLedgerFields(_ uuid: String, _ leaves: [(path: String, value: JSONValue?)], by principal: Principal) async throws
        -> AssetDetailView
    {
        let unknown = try await assets.setLedgerFields([uuid], leaves, now: clock.millis(), by: principal.username)
        guard unknown.isEmpty else { throw AppError(.configAssetNotFound, redactedContext: ["assetUuid": .string(uuid)]) }
        return try await detail(uuid)
    }

    static let bulkLimit = 100

    /// Sets the same leaves on up to 100 assets, all or none.
    func setLedgerFields(bulk uuids: [String], _ leaves: [(path: String, value: JSONValue?)], by principal: Principal)
        async throws -> [String]
    {
        var unique: [String] = []
        for uuid in uuids where !unique.contains(uuid) { unique.append(uuid) }
        guard !unique.isEmpty else {
            throw AppError.invalid(field: "assetUuids", issue: "required", "at least one asset uuid is required")
        }
        guard unique.count <= Self.bulkLimit else {
            throw AppError(
                .configLedgerFieldLimitExceeded, "At most \(Self.bulkLimit) assets per request (got \(unique.count))",
                details: [JSONValue.encode(FieldIssue(field: "assetUuids", issue: "too_many", message: "at most \(Self.bulkLimit)"))])
        }
        let unknown = try await assets.setLedgerFields(unique, leaves, now: clock.millis(), by: principal.username)
        guard unknown.isEmpty else {
            throw AppError(
                .configAssetNotFound, "\(unknown.count) asset(s) not found; nothing was changed",
                details: unknown.map { JSONValue.encode(FieldIssue(field: "assetUuids", issue: "not_found", message: $0)) })
        }
        return unique
    }
}
