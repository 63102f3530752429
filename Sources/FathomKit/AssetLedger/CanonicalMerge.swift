/// canonical-v1: the latest record of every source linked to an asset, merged leaf by leaf (DESIGN.md "Asset ledger
/// semantics"). Pure, so the detail page and the tests compute it the same way from the stored records.
enum CanonicalMerge {
    /// A source record as the merge sees it; `records` are passed newest first (the latest successful run first,
    /// since only successful collects store records).
    struct Record: Sendable {
        var sourceId: String
        var runId: String
        var recordId: String
        var collectedAt: Int64
        var normalized: JSONValue
    }

    /// A value kept by hand, by dotted path (`ownership.owner_name`, `comments`).
    struct Manual: Sendable {
        var value: JSONValue
        var updatedAt: Int64
        var updatedBy: String
    }

    /// `fields` of canonical-v1: nested like normalized-v1, each leaf `{value, sources, conflict?, alternatives?}`.
    static func fields(_ records: [Record], manual: [String: Manual]) -> JSONValue {
        // Each record's entry in a leaf's `sources`, made once: a record has dozens of leaves.
        let sources = records.map(source)
        var order: [(path: [String], values: [Collected])] = []
        var slots: [[String]: Int] = [:]
        for (index, record) in records.enumerated() {
            for (path, value) in leaves(record.normalized, prefix: []) {
                let collected = Collected(value: value, source: sources[index])
                if let slot = slots[path] {
                    order[slot].values.append(collected)
                } else {
                    slots[path] = order.count
                    order.append((path, [collected]))
                }
            }
        }
        var tree: [String: JSONValue] = [:]
        var dottedFound = Set<String>()
        for (path, values) in order {
            let dotted = path.joined(separator: ".")
            if let kept = manual[dotted] {
                dottedFound.insert(dotted)
                insert(manualLeaf(kept, collected: values), at: path[...], into: &tree)
            } else {
                insert(collectedLeaf(values), at: path[...], into: &tree)
            }
        }
        for (dotted, kept) in manual where !dottedFound.contains(dotted) {
            insert(manualLeaf(kept, collected: []), at: dotted.split(separator: ".").map(String.init)[...], into: &tree)
        }
        return .object(tree)
    }

    /// One source's value of a leaf, with that source's entry for the leaf's `sources`.
    struct Collected {
        var value: JSONValue
        var source: JSONValue
    }

    /// Leaves of a normalized record: objects are walked, arrays and scalars are leaves; nulls say nothing and
    /// `version`/`kind` describe the record, not the asset.
    static func leaves(_ value: JSONValue, prefix: [String]) -> [([String], JSONValue)] {
        guard case .object(let object) = value else { return value == .null ? [] : [(prefix, value)] }
        var result: [([String], JSONValue)] = []
        for key in object.keys.sorted() where !(prefix.isEmpty && (key == "version" || key == "kind")) {
            result += leaves(object[key]!, prefix: prefix + [key])
        }
        return result
    }

    static func source(_ record: Record) -> JSONValue {
        [
            "sourceId": .string(record.sourceId), "runId": .string(record.runId), "recordId": .string(record.recordId),
            "collectedAt": .string(Timestamp.iso8601(millis: record.collectedAt)),
        ]
    }

    /// Arrays: the de-duplicated union (newest source's order first). Single values: the latest run's value; others
    /// that differ are alternatives and make the leaf a conflict.
    static func collectedLeaf(_ values: [Collected]) -> JSONValue {
        if let union = union(values.map(\.value)) { return ["value": union, "sources": .array(values.map(\.source))] }
        var groups: [(value: JSONValue, sources: [JSONValue])] = []
        for collected in values {
            if let index = groups.firstIndex(where: { $0.value == collected.value }) {
                groups[index].sources.append(collected.source)
            } else {
                groups.append((collected.value, [collected.source]))
            }
        }
        var leaf: [String: JSONValue] = [
            "value": groups[0].value, "sources": .array(groups[0].sources), "conflict": .bool(groups.count > 1),
        ]
        if groups.count > 1 {
            leaf["alternatives"] = .array(groups.dropFirst().map { group -> JSONValue in
                ["value": group.value, "sources": .array(group.sources)]
            })
        }
        return .object(leaf)
    }

    /// The de-duplicated union when every value is an array (newest first), else nil.
    static func union(_ values: [JSONValue]) -> JSONValue? {
        var union: [JSONValue] = []
        for value in values {
            guard case .array(let items) = value else { return nil }
            for item in items where !union.contains(item) { union.append(item) }
        }
        return .array(union)
    }

    /// The merged value of one leaf without its sources (what an export cell shows): the hand-kept value, else the
    /// union of arrays, else the latest run's value — the `value` that `fields` gives the same path.
    static func value(at path: [String], dotted: String? = nil, _ records: [Record], manual: [String: Manual]) -> JSONValue? {
        value(at: path, dotted: dotted, documents: records.map(\.normalized), manual: manual.mapValues(\.value))
    }

    /// `value(at:)` over the records' normalized documents (newest first) and the hand-kept values by dotted path.
    static func value(at path: [String], dotted: String? = nil, documents: [JSONValue], manual: [String: JSONValue]) -> JSONValue? {
        if !manual.isEmpty, let kept = manual[dotted ?? path.joined(separator: ".")] { return kept }
        func leaf(_ document: JSONValue) -> JSONValue? {
            var node: JSONValue? = document
            for key in path { node = node?[key] }
            switch node {
            case nil, .null?, .object?: return nil
            default: return node
            }
        }
        // The latest value wins unless it and every other value are arrays: only then is a list of values made (the
        // export asks 18 leaves of every asset, most of them single values of one record).
        for (index, document) in documents.enumerated() {
            guard let latest = leaf(document) else { continue }
            guard case .array = latest else { return latest }
            return union([latest] + documents[(index + 1)...].compactMap(leaf)) ?? latest
        }
        return nil
    }

    /// A hand-kept value wins; what the collectors say stays visible as alternatives.
    static func manualLeaf(_ kept: Manual, collected: [Collected]) -> JSONValue {
        var leaf: [String: JSONValue] = [
            "value": kept.value,
            "sources": [["sourceId": "manual", "updatedAt": .string(Timestamp.iso8601(millis: kept.updatedAt)),
                         "updatedBy": .string(kept.updatedBy)]],
            "conflict": false,
        ]
        var alternatives: [JSONValue] = []
        for other in collected where other.value != kept.value {
            alternatives.append(["value": other.value, "sources": [other.source]])
        }
        if !alternatives.isEmpty { leaf["alternatives"] = .array(alternatives) }
        return .object(leaf)
    }

    /// Puts `leaf` at `path`, making the objects on the way. Each object on the path is taken out of its parent
    /// while it changes, so it is changed in place rather than copied (a detail inserts hundreds of leaves).
    static func insert(_ leaf: JSONValue, at path: ArraySlice<String>, into tree: inout [String: JSONValue]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            tree[first] = leaf
            return
        }
        var child: [String: JSONValue] = [:]
        if case .object(let existing)? = tree.removeValue(forKey: first) { child = existing }
        insert(leaf, at: path.dropFirst(), into: &child)
        tree[first] = .object(child)
    }
}
