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

/// The instance part of a ledger row: `id` is the integer instance id (the reference's), `uid` the DBaaS id.
struct LedgerInstanceView: Encodable {
    var id: Int64
    var instance_id: Int64
    var uid: String
    var name: String
    @ExplicitNull var host: String?
    @ExplicitNull var port: Int?
    var db_type: String
}

/// A ledger tag as the reference shows it: the label (`key:value`), a display name and a stable colour.
struct TagView: Encodable {
    var name: String
    var display_name: String
    var color: String

    init(_ name: String) {
        self.name = name
        display_name = name.replacingOccurrences(of: ":", with: ": ")
        color = TagView.palette[Int(TagView.hash(name) % UInt32(TagView.palette.count))]
    }

    /// Colours that stay apart in greyscale too.
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#ff7f0e"]

    /// FNV-1a: the same colour for the same tag on every replica and run.
    static func hash(_ text: String) -> UInt32 {
        text.utf8.reduce(2_166_136_261) { ($0 ^ UInt32($1)) &* 16_777_619 }
    }
}

/// How fresh a database's last collection is, as the reference's badge: none → pending, within 6 h completed,
/// within 48 h running (a collection is due), older failed (collections are not reaching it).
struct SyncStatusView: Encodable {
    var value: String
    var label: String
    var variant: String

    init(collectedAt: Int64?, now: Int64) {
        guard let collectedAt else {
            (value, label, variant) = ("pending", "Pending", "secondary")
            return
        }
        let age = now - collectedAt
        if age <= 6 * 3_600_000 {
            (value, label, variant) = ("completed", "Completed", "success")
        } else if age <= 48 * 3_600_000 {
            (value, label, variant) = ("running", "Running", "warning")
        } else {
            (value, label, variant) = ("failed", "Failed", "danger")
        }
    }
}

/// One database in the ledger: the reference's fields (`id`, `database_name`, `db_type`, `instance`, `capacity`,
/// `sync_status`, `tags`), then Fathom's.
struct LedgerItemView: Encodable {
    struct Capacity: Encodable {
        @ExplicitNull var size_mb: Double?
        @ExplicitNull var size_bytes: Int64?
        var label: String
        @ExplicitNull var collected_at: String?
    }

    var id: Int64
    var database_name: String
    var db_type: String
    var instance: LedgerInstanceView
    var capacity: Capacity
    var sync_status: SyncStatusView
    var tags: [TagView]
    var database_id: Int64
    var is_active: Bool
    var first_seen_date: String
    var last_seen_date: String
    /// `fresh` (collected within 36 h), `stale`, or `never`.
    var freshness: String
    /// The machine the database's instance runs on, when the asset ledger knows it (left out otherwise).
    var runs_on: InstancePlacements.Placement? = nil
}

/// Instance labels as ledger tags: `key:value`, or `key` when the value is empty.
enum InstanceTags {
    static func tags(_ labels: [String: String]) -> [String] {
        labels.map { $0.value.isEmpty ? $0.key : "\($0.key):\($0.value)" }.sorted()
    }
}

// The ledger's items write their own JSON (a sixth of a ledger page's CPU went to encoding them field by field), in
// declaration order like their synthesized `Encodable`; `DirectJSONTests` compares the two.
extension LedgerItemView: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        var object = JSONObjectWriter(writer)
        object.int("id", id)
        object.string("database_name", database_name)
        object.string("db_type", db_type)
        try object.object("instance", instance)
        try object.object("capacity", capacity)
        try object.object("sync_status", sync_status)
        try object.array("tags", tags)
        object.int("database_id", database_id)
        object.bool("is_active", is_active)
        object.string("first_seen_date", first_seen_date)
        object.string("last_seen_date", last_seen_date)
        object.string("freshness", freshness)
        try object.value("runs_on", ifPresent: runs_on)
        object.end()
    }
}

extension LedgerItemView.Capacity: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        var object = JSONObjectWriter(writer)
        try object.double("size_mb", orNull: size_mb)
        object.int("size_bytes", orNull: size_bytes)
        object.string("label", label)
        object.string("collected_at", orNull: collected_at)
        object.end()
    }
}

extension LedgerInstanceView: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        var object = JSONObjectWriter(writer)
        object.int("id", id)
        object.int("instance_id", instance_id)
        object.string("uid", uid)
        object.string("name", name)
        object.string("host", orNull: host)
        object.int("port", orNull: port.map(Int64.init))
        object.string("db_type", db_type)
        object.end()
    }
}

extension TagView: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        JSONObjectWriter.strings(["name": name, "display_name": display_name, "color": color], to: writer)
    }
}

extension SyncStatusView: DirectJSON {
    func writeJSON(to writer: JSONByteWriter) throws {
        JSONObjectWriter.strings(["value": value, "label": label, "variant": variant], to: writer)
    }
}
