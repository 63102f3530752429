/// A size as the databases/capacity contracts show it: bytes, MB (2 decimals) and a label.
struct SizeView: Encodable {
    var size_bytes: Int64
    var size_mb: Double
    var size_label: String

    init(_ bytes: Int64) {
        size_bytes = bytes
        size_mb = SizeFormat.megabytes(bytes)
        size_label = SizeFormat.label(bytes)
    }
}

/// The instance part of a ledger row: both identifiers, name, host and type.
struct LedgerInstanceView: Encodable {
    var instance_id: Int64
    var id: String
    var name: String
    var host: String?
    var port: Int?
    var db_type: String
}

/// One database in the ledger.
struct LedgerItemView: Encodable {
    struct Capacity: Encodable {
        var size_bytes: Int64?
        var size_mb: Double?
        var label: String
        var collected_at: String?
    }

    var database_id: Int64
    var database_name: String
    var instance: LedgerInstanceView
    var is_active: Bool
    var first_seen_date: String
    var last_seen_date: String
    var capacity: Capacity
    /// `fresh` (collected within 36 h), `stale`, or `never`.
    var freshness: String
    var tags: [String]
}

/// Instance labels as ledger tags: `key:value`, or `key` when the value is empty.
enum InstanceTags {
    static func tags(_ labels: [String: String]) -> [String] {
        labels.map { $0.value.isEmpty ? $0.key : "\($0.key):\($0.value)" }.sorted()
    }
}
