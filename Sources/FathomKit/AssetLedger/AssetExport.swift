import Hummingbird
import NIOCore

/// `GET /api/v1/assets/exports`: the asset list's filter as CSV (RFC 4180, formula-safe cells), streamed in batches so
/// memory stays constant however many assets there are. Key canonical values are the merged ones (hand-kept win).
struct AssetExport: Sendable {
    let assets: AssetStore
    static let batchSize = 1000

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

    func body(_ filter: AssetStore.Filter) -> ResponseBody {
        let assets = self.assets
        return ResponseBody { writer in
            var bytes: [UInt8] = []
            // The capacity ledger's CSV writer: one quoting and formula rule for every export.
            LedgerExport.appendLine(Self.header, to: &bytes)
            try await writer.write(ByteBuffer(bytes: bytes))
            var after = ""
            while true {
                let batch = try await assets.exportBatch(filter, after: after, limit: Self.batchSize)
                guard let last = batch.last else { break }
                let uuids = batch.map(\.assetUuid)
                let links = Dictionary(grouping: try await assets.links(of: uuids), by: \.assetUuid)
                let records = try await assets.latestRecords(of: uuids)
                let manual = try await assets.ledgerFields(of: uuids)
                bytes.removeAll(keepingCapacity: true)
                for asset in batch {
                    let cells = Self.cells(
                        asset, links: links[asset.assetUuid] ?? [], records: records[asset.assetUuid] ?? [],
                        manual: manual[asset.assetUuid] ?? [:])
                    LedgerExport.appendLine(cells, to: &bytes)
                }
                try await writer.write(ByteBuffer(bytes: bytes))
                after = last.assetUuid
                if batch.count < Self.batchSize { break }
            }
            try await writer.finish(nil)
        }
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
}
