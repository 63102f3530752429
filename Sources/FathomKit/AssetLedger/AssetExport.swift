import Hummingbird
import NIOCore
import SQLKit

/// `GET /api/v1/assets/exports`: the asset list's filter as CSV (RFC 4180, formula-safe cells), streamed in batches so
/// memory stays constant however many assets there are. Key canonical values are the merged ones (hand-kept win).
struct AssetExport: Sendable {
    let assets: AssetStore
    /// Assets a batch reads at once (a test sets a few, to cross many batches).
    var batchSize = 1000
    /// Batches read and parsed ahead of the one being written (each holds up to `batchSize` assets in memory).
    static let lookahead = 3

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
            // Batches are read and taken apart ahead of the one being written, up to `lookahead` of them: each batch's
            // read starts as soon as the batch before has its rows (they end with its last asset, where the next
            // batch starts), and its records are parsed as soon as they arrive. So the store, the parsing and the
            // writing each go at their own pace on both cores, holding at most `lookahead` batches besides the one
            // being written, whatever the export's size. An empty batch ends the export.
            let batchSize = self.batchSize
            let paths = Self.recordPaths
            var window: [Task<[AssetStore.ExportItem], any Error>] = []
            var lastRead: Task<AssetStore.ExportRows, any Error>?
            func readAhead() {
                let previous = lastRead
                let read = Task {
                    var after = ""
                    if let previous {
                        guard let last = try await previous.value.lastAsset else { return try AssetStore.ExportRows(rows: []) }
                        after = last
                    }
                    return try AssetStore.ExportRows(rows: await assets.exportRows(filter, after: after, limit: batchSize))
                }
                lastRead = read
                window.append(Task { try AssetStore.exportItems(try await read.value.rows, keeping: paths) })
            }
            defer { for batch in window { batch.cancel() } }
            for _ in 0..<Self.lookahead { readAhead() }
            while !window.isEmpty {
                let items = try await window.removeFirst().value
                if items.isEmpty { break }
                readAhead()
                bytes.removeAll(keepingCapacity: true)
                for item in items { LedgerExport.appendLine(Self.cells(item), to: &bytes) }
                try await writer.write(ByteBuffer(bytes: bytes))
            }
            try await writer.finish(nil)
        }
    }

    /// One row; only the exported leaves are merged, not the whole canonical view.
    static func cells(_ item: AssetStore.ExportItem) -> [String] {
        func text(_ path: (dotted: String, keys: [String])) -> String {
            switch CanonicalMerge.value(at: path.keys, dotted: path.dotted, documents: item.documents, manual: item.manual) {
            case .string(let value)?: return value
            case .int(let value)?: return String(value)
            case .bool(let value)?: return value ? "true" : "false"
            case .double(let value)?: return String(value)
            case .array(let items)?: return items.compactMap(\.stringValue).joined(separator: ";")
            default: return ""
            }
        }
        let lastSeen = item.lastSeenAt.map { Timestamp.iso8601(millis: $0) } ?? ""
        return [item.assetUuid, item.assetType, item.status, item.displayName, lastSeen, item.sources.joined(separator: ";")]
            + columnPaths.map(text)
    }

    /// The merged columns' paths, split once (not once per cell).
    static let columnPaths = (canonicalColumns + ledgerColumns).map { (dotted: $0, keys: $0.split(separator: ".").map(String.init)) }
    /// What of each record the columns read.
    static let recordPaths = JSONPaths(columnPaths.map(\.keys))
}
