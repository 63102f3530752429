/// An asset of the ledger: one machine, host, cluster or database instance, linked to every source that reports it.
struct Asset: Sendable {
    var assetUuid: String
    var assetType: String
    var displayName: String
    /// `in_service`, `offline` or `merged`.
    var status: String
    var mergedInto: String?
    var createdAt: Int64
    var updatedAt: Int64

    static let types = ["vm", "host", "cluster", "database_instance"]
    static let statuses = ["in_service", "offline", "merged"]
    static let sortFields = ["displayName": "display_name", "createdAt": "created_at", "updatedAt": "updated_at"]

    /// One source's identity of the asset.
    struct Link: Sendable {
        var linkId: String
        var assetUuid: String
        var sourceId: String
        var sourceName: String
        var sourceDeleted: Bool
        var externalKind: String
        var externalId: String
        var presenceStatus: String
        var lastSeenAt: Int64
    }

    /// An edge between two assets as one source reported it.
    struct Edge: Sendable {
        var type: String
        var fromUuid: String
        var sourceId: String
        var status: String
        var to: Asset
    }

    /// An asset with what its detail shows: links, each link's latest record, hand-kept fields and active outgoing edges.
    struct Detail: Sendable {
        var asset: Asset
        var links: [Link]
        var records: [CanonicalMerge.Record]
        var manual: [String: CanonicalMerge.Manual]
        var outgoing: [Edge]
    }

    /// An edge a source reported whose target it never collected.
    struct Gap: Sendable {
        var sourceId: String
        var type: String
        var toKind: String
        var toExternalId: String
    }
}
