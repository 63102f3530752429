/// An asset's history (newest first): field-level diffs between consecutive records of each source link, and the
/// events kept beside them (status changes, merges, hand edits). Diffs are computed on read from the stored records,
/// so they always agree with them.
enum AssetHistory {
    struct Entry: Encodable, Sendable {
        /// `record_changed`, `status_changed`, `merged`, `merged_into` or `ledger_fields_changed`.
        var type: String
        var occurredAt: String
        var sourceId: String?
        var runId: String?
        var actor: String?
        var changes: [Change]?
        var details: JSONValue?
        var sortKey: Int64

        enum CodingKeys: String, CodingKey { case type, occurredAt, sourceId, runId, actor, changes, details }
    }

    struct Change: Encodable, Sendable {
        var field: String
        var from: JSONValue
        var to: JSONValue
    }

    static func diff(_ before: JSONValue, _ after: JSONValue) -> [Change] {
        let old = Dictionary(CanonicalMerge.leaves(before, prefix: []).map { ($0.0.joined(separator: "."), $0.1) }) { a, _ in a }
        let new = Dictionary(CanonicalMerge.leaves(after, prefix: []).map { ($0.0.joined(separator: "."), $0.1) }) { a, _ in a }
        return Set(old.keys).union(new.keys).sorted().compactMap { field in
            let (from, to) = (old[field] ?? .null, new[field] ?? .null)
            return from == to ? nil : Change(field: field, from: from, to: to)
        }
    }

    static func entries(records: [(linkId: String, record: CanonicalMerge.Record)], events: [AssetStore.Event]) -> [Entry] {
        var result: [Entry] = []
        var previous: [String: CanonicalMerge.Record] = [:]
        for (linkId, record) in records {
            if let before = previous[linkId] {
                let changes = diff(before.normalized, record.normalized)
                if !changes.isEmpty {
                    result.append(Entry(
                        type: "record_changed", occurredAt: Timestamp.iso8601(millis: record.collectedAt), sourceId: record.sourceId,
                        runId: record.runId, changes: changes, sortKey: record.collectedAt))
                }
            }
            previous[linkId] = record
        }
        for event in events {
            result.append(Entry(
                type: event.type, occurredAt: Timestamp.iso8601(millis: event.occurredAt), actor: event.actor,
                details: event.details, sortKey: event.occurredAt))
        }
        // Stable: at equal times the later-appended (event after diff) comes first when reversed.
        return result.enumerated().sorted { ($0.element.sortKey, $0.offset) > ($1.element.sortKey, $1.offset) }.map(\.element)
    }
}
