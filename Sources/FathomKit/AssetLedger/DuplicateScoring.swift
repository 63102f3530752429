import Foundation

/// The duplicate rules (issue 14): pairs of assets of one type scored by what identifies a machine. Values are
/// trimmed and case-folded; placeholders (empty, "none", all-zero UUIDs or serials) identify nothing.
enum DuplicateScoring {
    static let keep = 70
    static let high = 90

    /// One identifying value of an asset, with the score two assets sharing it get.
    struct Key: Hashable, Sendable {
        var rule: String
        var value: String
        var score: Int
    }

    static func normalize(_ value: String?) -> String? {
        guard let folded = value?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased(), !folded.isEmpty else { return nil }
        if ["none", "null", "n/a", "unknown", "-", "0"].contains(folded) { return nil }
        // All-zero UUIDs, serials and MACs ("00000000-0000-…", "000000", "00:00:00:00:00:00").
        if folded.allSatisfy({ $0 == "0" || $0 == "-" || $0 == ":" || $0 == " " }) { return nil }
        return folded
    }

    static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { normalize($0.stringValue) }
    }

    /// The keys of an asset from its latest records (any source may contribute).
    static func keys(kind: String, records: [JSONValue]) -> Set<Key> {
        var keys = Set<Key>()
        for normalized in records {
            let identity = normalized["identity"]
            let network = normalized["network"]
            switch kind {
            case "vm":
                if let uuid = normalize(identity?["machine_uuid"]?.stringValue) { keys.insert(Key(rule: "machine_uuid", value: uuid, score: 100)) }
                for mac in strings(network?["mac_addresses"]) { keys.insert(Key(rule: "mac_address", value: mac, score: 90)) }
                if let hostname = normalize(identity?["hostname"]?.stringValue) {
                    for ip in strings(network?["ip_addresses"]) {
                        keys.insert(Key(rule: "hostname_ip", value: hostname + " " + ip, score: 70))
                    }
                }
            case "host":
                if let serial = normalize(identity?["serial_number"]?.stringValue) { keys.insert(Key(rule: "serial_number", value: serial, score: 100)) }
                if let bmc = normalize(network?["bmc_ip"]?.stringValue) { keys.insert(Key(rule: "bmc_ip", value: bmc, score: 90)) }
                if let ip = normalize(network?["management_ip"]?.stringValue) { keys.insert(Key(rule: "management_ip", value: ip, score: 70)) }
            default:
                break
            }
        }
        return keys
    }

    /// A scored pair: the best rule's score and every shared key as a reason.
    struct Pair: Sendable {
        var first: String
        var second: String
        var assetType: String
        var score: Int
        var reasons: [Key]
    }

    /// Pairs sharing a key, by inverted index (no all-pairs comparison); only pairs scoring at least `keep`.
    static func pairs(_ assets: [(uuid: String, kind: String, keys: Set<Key>)]) -> [Pair] {
        var index: [Key: [Int]] = [:]
        for (position, asset) in assets.enumerated() {
            for key in asset.keys { index[key, default: []].append(position) }
        }
        var found: [String: Pair] = [:]
        for (key, members) in index where members.count > 1 {
            // A value shared by very many assets (a default gateway, a template UUID) identifies none of them.
            guard members.count <= 20 else { continue }
            for i in 0..<members.count {
                for j in (i + 1)..<members.count {
                    let (a, b) = (assets[members[i]], assets[members[j]])
                    guard a.kind == b.kind else { continue }
                    let (first, second) = a.uuid < b.uuid ? (a.uuid, b.uuid) : (b.uuid, a.uuid)
                    let id = first + " " + second
                    var pair = found[id] ?? Pair(first: first, second: second, assetType: a.kind, score: 0, reasons: [])
                    pair.score = max(pair.score, key.score)
                    pair.reasons.append(key)
                    found[id] = pair
                }
            }
        }
        return found.values.filter { $0.score >= keep }.sorted { ($0.first, $0.second) < ($1.first, $1.second) }
    }
}
