import Hummingbird
import NIOCore

/// `GET /api/v1/assets/exports`: the asset list's filter as CSV (RFC 4180, formula-safe cells), streamed in batches so
/// memory stays constant however many assets there are. Key canonical values are the merged ones (hand-kept win).
struct AssetExport: Sendable {
    let assets: AssetStore
    /// Assets a batch reads at once (a test sets a few, to cross many batches).
    var batchSize = 1000

    static let canonicalColumns = [
        "identity.hostname", "network.ip_addresses", "identity.machine_uuid", "identity.serial_number", "os.name",
        "runtime.power_state",
    ]
    static let ledgerColumns = [
        "ownership.department", "ownership.owner_name", "ownership.owner_email", "location.region", "location.city",
        "location.cabinet", "location.position", "service.system_name", "service.service_level",
        "physical.fixed_asset_id", "physical.maintenance_period", "comments",
    ]
    static let header = ["asset_uuid", "asset_type", "status", "display_name", "last_seen_at", "sources"]
        + canonicalColumns + ledgerColumns

    /// A batch of assets with what its rows are made of.
    private struct Batch: Sendable {
        var assets: [Asset]
        var links: [String: [Asset.Link]]
        var records: [String: [CanonicalMerge.Record]]
        var manual: [String: [String: CanonicalMerge.Manual]]
    }

    func body(_ filter: AssetStore.Filter) -> ResponseBody {
        let assets = self.assets
        return ResponseBody { writer in
            var bytes: [UInt8] = []
            // The capacity ledger's CSV writer: one quoting and formula rule for every export.
            LedgerExport.appendLine(Self.header, to: &bytes)
            try await writer.write(ByteBuffer(bytes: bytes))
            // The next batch is read (on the store's threads) while this one is written out: reading and writing
            // take turns no more, and the export runs on both cores.
            let batchSize = self.batchSize
            var next: Task<Batch, any Error>? = Task { try await Self.fetch(assets, filter, after: "", limit: batchSize) }
            defer { next?.cancel() }
            while let pending = next {
                let batch = try await pending.value
                guard let last = batch.assets.last else { break }
                next = batch.assets.count < batchSize
                    ? nil : Task { try await Self.fetch(assets, filter, after: last.assetUuid, limit: batchSize) }
                bytes.removeAll(keepingCapacity: true)
                for asset in batch.assets {
                    let cells = Self.cells(
                        asset, links: batch.links[asset.assetUuid] ?? [], records: batch.records[asset.assetUuid] ?? [],
                        manual: batch.manual[asset.assetUuid] ?? [:])
                    LedgerExport.appendLine(cells, to: &bytes)
                }
                try await writer.write(ByteBuffer(bytes: bytes))
            }
            try await writer.finish(nil)
        }
    }

    /// The batch after `after`, its links, latest records and hand-kept fields read side by side.
    private static func fetch(_ assets: AssetStore, _ filter: AssetStore.Filter, after: String, limit: Int) async throws -> Batch {
        let batch = try await assets.exportBatch(filter, after: after, limit: limit)
        let uuids = batch.map(\.assetUuid)
        async let links = assets.links(of: uuids)
        async let records = assets.latestRecords(of: uuids, keeping: recordPaths)
        async let manual = assets.ledgerFields(of: uuids)
        return Batch(
            assets: batch, links: Dictionary(grouping: try await links, by: \.assetUuid), records: try await records,
            manual: try await manual)
    }

    /// One row; only the exported leaves are merged, not the whole canonical view.
    static func cells(
        _ asset: Asset, links: [Asset.Link], records: [CanonicalMerge.Record], manual: [String: CanonicalMerge.Manual]
    ) -> [String] {
        func text(_ path: (dotted: String, keys: [String])) -> String {
            switch CanonicalMerge.value(at: path.keys, dotted: path.dotted, records, manual: manual) {
            case .string(let value)?: return value
            case .int(let value)?: return String(value)
            case .bool(let value)?: return value ? "true" : "false"
            case .double(let value)?: return String(value)
            case .array(let items)?: return items.compactMap(\.stringValue).joined(separator: ";")
            default: return ""
            }
        }
        let lastSeen = links.map(\.lastSeenAt).max().map { Timestamp.iso8601(millis: $0) } ?? ""
        let sources = links.map { $0.sourceName + ":" + $0.externalId }.joined(separator: ";")
        return [asset.assetUuid, asset.assetType, asset.status, asset.displayName, lastSeen, sources]
            + columnPaths.map(text)
    }

    /// The merged columns' paths, split once (not once per cell).
    static let columnPaths = (canonicalColumns + ledgerColumns).map { (dotted: $0, keys: $0.split(separator: ".").map(String.init)) }
    /// What of each record the columns read.
    static let recordPaths = JSONPaths(columnPaths.map(\.keys))
}
