import Hummingbird
import NIOCore
import SQLKit

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

    func body(_ filter: AssetStore.Filter) -> ResponseBody {
        let assets = self.assets
        return ResponseBody { writer in
            var bytes: [UInt8] = []
            // The capacity ledger's CSV writer: one quoting and formula rule for every export.
            LedgerExport.appendLine(Self.header, to: &bytes)
            try await writer.write(ByteBuffer(bytes: bytes))
            // Three stages, each one batch behind the one before, so the export keeps both cores and the store busy:
            // the store reads a batch's rows while the batch before is taken apart (its records parsed) and the one
            // before that is written out. A batch's rows end with its last asset, where the next batch starts; an
            // empty batch ends the export. At most three batches are held at once, whatever the export's size.
            let batchSize = self.batchSize
            let paths = Self.recordPaths
            let read = { @Sendable (after: String) in
                Task { try await assets.exportRows(filter, after: after, limit: batchSize) }
            }
            let parse = { @Sendable (rows: [any SQLRow]) in
                Task { try AssetStore.exportItems(rows, keeping: paths) }
            }
            var reading: Task<[any SQLRow], any Error>? = read("")
            var parsing: Task<[AssetStore.ExportItem], any Error>?
            defer {
                reading?.cancel()
                parsing?.cancel()
            }
            while reading != nil || parsing != nil {
                var parsed: Task<[AssetStore.ExportItem], any Error>?
                if let pending = reading {
                    let rows = try await pending.value
                    reading = try rows.last.map { read(try $0.string("asset_uuid")) }
                    if !rows.isEmpty { parsed = parse(rows) }
                }
                if let pending = parsing {
                    bytes.removeAll(keepingCapacity: true)
                    for item in try await pending.value { LedgerExport.appendLine(Self.cells(item), to: &bytes) }
                    try await writer.write(ByteBuffer(bytes: bytes))
                }
                parsing = parsed
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
