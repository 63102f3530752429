@testable import FathomKit
import Foundation
import Testing

/// Values that write their own JSON write exactly the bytes their `Encodable` conformance writes, nested in the
/// response envelopes as the routes send them.
@Suite(.timeLimit(.minutes(2))) struct DirectJSONTests {
    static func bytes(_ value: some Encodable, direct: Bool) throws -> String {
        String(decoding: try ResponseJSONEncoder(direct: direct).encode(value), as: UTF8.self)
    }

    static func expectSame(_ value: some Encodable) throws {
        let direct = try bytes(value, direct: true)
        #expect(direct == (try bytes(value, direct: false)))
        // Still valid JSON, whatever the text holds.
        #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(direct.utf8)) }
    }

    static func ledgerItem(size: Int64?, host: String?, runsOn: InstancePlacements.Placement?, tags: [String]) -> LedgerItemView {
        LedgerItemView(
            id: 7, database_name: "orders \"eu\"", db_type: "postgresql",
            instance: LedgerInstanceView(id: 3, instance_id: 3, uid: "inst-1", name: "main\\db", host: host, port: host == nil ? nil : 5432,
                                         db_type: "postgresql"),
            capacity: .init(size_mb: size.map(SizeFormat.megabytes), size_bytes: size, label: size.map(SizeFormat.label) ?? "unknown",
                            collected_at: size == nil ? nil : "2026-12-01T10:00:00Z"),
            sync_status: SyncStatusView(collectedAt: size == nil ? nil : 0, now: 1), tags: tags.map(TagView.init),
            database_id: 7, is_active: true, first_seen_date: "2026-01-01", last_seen_date: "2026-12-01", freshness: "fresh",
            runs_on: runsOn)
    }

    @Test func ledgerItems() throws {
        let items = [
            Self.ledgerItem(size: 4_360_000_123, host: "db.internal", runsOn: nil, tags: ["env:prod", "tier", "é:🙂"]),
            Self.ledgerItem(size: nil, host: nil, runsOn: .init(assetUuid: "u-1", displayName: "vm 1", host: nil, cluster: nil), tags: []),
            Self.ledgerItem(size: 0, host: "h", runsOn: .init(assetUuid: "u-2", displayName: "vm\n2", host: "esx-1", cluster: "c1"), tags: ["a"]),
        ]
        for item in items { try Self.expectSame(item) }
        try Self.expectSame(DataEnvelope(message: "Database ledger loaded", data: ItemsPage(items: items, total: 3, page: 1, limit: 20),
                                         meta: ResponseMeta(requestId: "req_1", timestamp: "2026-12-01T10:00:00Z")))
    }

    @Test func assetSummaries() throws {
        let asset = Asset(assetUuid: "a-1", assetType: "vm", displayName: "web \"1\"", status: "in_service", mergedInto: nil,
                          createdAt: 1_700_000_000_000, updatedAt: 1_700_000_500_123)
        var merged = asset
        merged.status = "merged"
        merged.mergedInto = "a-2"
        let items = [
            AssetSummaryView(asset, sources: [.init(sourceId: "src_1", sourceName: "vCenter", externalId: "vm-1"),
                                              .init(sourceId: "src_2", sourceName: "PVE\t2", externalId: "qemu/100")]),
            AssetSummaryView(merged, sources: []),
        ]
        for item in items { try Self.expectSame(item) }
        try Self.expectSame(PagedEnvelope(message: "Success", data: items, pagination: Pagination(page: 1, pageSize: 20, total: 2),
                                          meta: ResponseMeta(requestId: "req_1", timestamp: "2026-12-01T10:00:00Z")))
    }

    @Test func assetDetails() throws {
        let asset = Asset(assetUuid: "a-1", assetType: "vm", displayName: "web \"1\"", status: "in_service", mergedInto: nil,
                          createdAt: 1_700_000_000_000, updatedAt: 1_700_000_500_123)
        let host = Asset(assetUuid: "h-1", assetType: "host", displayName: "esx\\1", status: "offline", mergedInto: nil,
                         createdAt: 1, updatedAt: 2)
        let link = Asset.Link(linkId: "lnk_1", assetUuid: "a-1", sourceId: "src_1", sourceName: "vCenter \u{1F642}", sourceDeleted: false,
                              externalKind: "vm", externalId: "vm-1", presenceStatus: "present", lastSeenAt: 1_700_000_400_000)
        let fields: JSONValue = ["network": ["ip_addresses": ["value": ["10.0.0.1", "fe80::1"], "sources": [["sourceId": "src_1"]]]]]
        var detail = AssetDetailView(
            assetUuid: asset.assetUuid, assetType: asset.assetType, displayName: asset.displayName, status: asset.status,
            mergedInto: nil, canonical: .init(fields: fields, relations: ["outgoing": [.init(type: "runs_on", to: AssetRefView(host), sourceId: "src_1")]]),
            sourceLinks: [SourceLinkView(link), SourceLinkView(link)], createdAt: "2026-12-01T10:00:00Z", updatedAt: "2026-12-01T10:00:01Z")
        try Self.expectSame(detail)
        detail.mergedInto = "a-2"
        detail.sourceLinks = []
        detail.canonical = .init(fields: [:], relations: ["outgoing": []])
        try Self.expectSame(detail)
        try Self.expectSame(DataEnvelope(message: "Success", data: detail, meta: ResponseMeta(requestId: "req_1", timestamp: "t")))
    }

    @Test func openValues() throws {
        let value: JSONValue = .object([
            "fields": .object(["name": .object(["value": "web \"1\"", "sources": .array([.object(["runId": "r", "n": .int(-3)])]),
                                                "conflict": .bool(true), "alternatives": .array([.double(1.5), .double(2), .null])])]),
            "empty": .object([:]), "list": .array([]), "text": "tab\t é 🙂 \u{07}",
        ])
        try Self.expectSame(value)
        try Self.expectSame(DataEnvelope(message: "Success", data: value, meta: ResponseMeta(requestId: "req_1", timestamp: "t")))
        try Self.expectSame([JSONValue.null, .int(Int64.min), .double(1e21)])
        #expect(throws: EncodingError.self) { try ResponseJSONEncoder().encode(JSONValue.double(.infinity)) }
    }
}
