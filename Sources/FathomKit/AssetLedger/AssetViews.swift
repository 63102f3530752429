/// Bodies of the asset routes, in the contract's camelCase (`asset-ledger-api.md` §6.1–§6.4).
struct AssetSummaryView: Encodable, Sendable {
    struct SourceRef: Encodable, Sendable {
        var sourceId: String
        var sourceName: String
        var externalId: String
    }
    var assetUuid: String
    var assetType: String
    var displayName: String
    var status: String
    var mergedInto: String?
    var sources: [SourceRef]
    var createdAt: String
    var updatedAt: String

    init(_ asset: Asset, sources: [SourceRef]) {
        assetUuid = asset.assetUuid
        assetType = asset.assetType
        displayName = asset.displayName
        status = asset.status
        mergedInto = asset.mergedInto
        self.sources = sources
        createdAt = Timestamp.iso8601(millis: asset.createdAt)
        updatedAt = Timestamp.iso8601(millis: asset.updatedAt)
    }
}

struct AssetRefView: Encodable, Sendable {
    var assetUuid: String
    var assetType: String
    var displayName: String
    init(_ asset: Asset) {
        assetUuid = asset.assetUuid
        assetType = asset.assetType
        displayName = asset.displayName
    }
}

struct SourceLinkView: Encodable, Sendable {
    var linkId: String
    var sourceId: String
    var sourceName: String
    var externalKind: String
    var externalId: String
    var presenceStatus: String
    var lastSeenAt: String
    init(_ link: Asset.Link) {
        linkId = link.linkId
        sourceId = link.sourceId
        sourceName = link.sourceName
        externalKind = link.externalKind
        externalId = link.externalId
        presenceStatus = link.presenceStatus
        lastSeenAt = Timestamp.iso8601(millis: link.lastSeenAt)
    }
}

struct AssetDetailView: Encodable, Sendable {
    struct Canonical: Encodable, Sendable {
        struct Outgoing: Encodable, Sendable {
            var type: String
            var to: AssetRefView
            var sourceId: String
        }
        var version = "canonical-v1"
        var fields: JSONValue
        var relations: [String: [Outgoing]]
    }
    var assetUuid: String
    var assetType: String
    var displayName: String
    var status: String
    var mergedInto: String?
    var canonical: Canonical
    var sourceLinks: [SourceLinkView]
    var createdAt: String
    var updatedAt: String
}

struct SourceRecordView: Encodable, Sendable {
    var recordId: String
    var runId: String
    var sourceId: String
    var sourceName: String
    var collectedAt: String
    var normalized: JSONValue
    init(_ record: CanonicalMerge.Record, sourceName: String) {
        recordId = record.recordId
        runId = record.runId
        sourceId = record.sourceId
        self.sourceName = sourceName
        collectedAt = Timestamp.iso8601(millis: record.collectedAt)
        normalized = record.normalized
    }
}

/// §6.4: the chain of outgoing edges (vm → host → cluster) and why expected edges are absent.
final class RelationNodeView: Encodable, Sendable {
    struct Edge: Encodable, Sendable {
        var type: String
        var to: RelationNodeView
        var sourceId: String
        var status: String
    }
    struct Missing: Encodable, Sendable {
        var type: String
        var sourceId: String
        var sourceName: String
        /// `not_provided_by_source`, `target_not_collected` or `source_deleted`.
        var reason: String
        var message: String
        var target: [String: String]?
    }
    let assetUuid: String
    let assetType: String
    let displayName: String
    /// One hop of edges that end here (the database instances on a machine, the hosts of a cluster); root only.
    struct IncomingEdge: Encodable, Sendable {
        var type: String
        var from: AssetRefView
        var sourceId: String
        var status: String
    }
    let outgoing: [Edge]?
    let missing: [Missing]?
    let incoming: [IncomingEdge]?

    init(_ asset: Asset, outgoing: [Edge]?, missing: [Missing]?, incoming: [IncomingEdge]? = nil) {
        assetUuid = asset.assetUuid
        assetType = asset.assetType
        displayName = asset.displayName
        self.outgoing = outgoing
        self.missing = missing
        self.incoming = incoming
    }
}

// A list page's items write their own JSON, in declaration order like their synthesized `Encodable`
// (`DirectJSONTests` compares the two).
extension AssetSummaryView: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        var object = JSONObjectWriter(writer)
        object.string("assetUuid", assetUuid)
        object.string("assetType", assetType)
        object.string("displayName", displayName)
        object.string("status", status)
        try object.value("mergedInto", ifPresent: mergedInto)
        try object.array("sources", sources)
        object.string("createdAt", createdAt)
        object.string("updatedAt", updatedAt)
        object.end()
    }
}

extension AssetSummaryView.SourceRef: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        JSONObjectWriter.strings(["sourceId": sourceId, "sourceName": sourceName, "externalId": externalId], to: writer)
    }
}

// An asset's detail writes its own JSON too, in the synthesized `Encodable` order (`DirectJSONTests`): a detail
// computed afresh spent as long in the general encoder as in merging its sources.
extension AssetDetailView: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        var object = JSONObjectWriter(writer)
        object.string("assetUuid", assetUuid)
        object.string("assetType", assetType)
        object.string("displayName", displayName)
        object.string("status", status)
        try object.value("mergedInto", ifPresent: mergedInto)
        try object.object("canonical", canonical)
        try object.array("sourceLinks", sourceLinks)
        object.string("createdAt", createdAt)
        object.string("updatedAt", updatedAt)
        object.end()
    }
}

extension AssetDetailView.Canonical: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        var object = JSONObjectWriter(writer)
        object.string("version", version)
        try object.object("fields", fields)
        object.key("relations")
        var relationsObject = JSONObjectWriter(writer)
        for (name, edges) in relations { try relationsObject.array(name, edges) }
        relationsObject.end()
        object.end()
    }
}

extension AssetDetailView.Canonical.Outgoing: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        var object = JSONObjectWriter(writer)
        object.string("type", type)
        try object.object("to", to)
        object.string("sourceId", sourceId)
        object.end()
    }
}

extension AssetRefView: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        JSONObjectWriter.strings(["assetUuid": assetUuid, "assetType": assetType, "displayName": displayName], to: writer)
    }
}

extension SourceLinkView: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        JSONObjectWriter.strings(
            ["linkId": linkId, "sourceId": sourceId, "sourceName": sourceName, "externalKind": externalKind,
             "externalId": externalId, "presenceStatus": presenceStatus, "lastSeenAt": lastSeenAt], to: writer)
    }
}
