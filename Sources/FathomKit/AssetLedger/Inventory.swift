import Crypto
import Foundation

/// The assets and relations of a successful collect, checked against `normalized-v1` and ready to ingest.
struct Inventory: Sendable {
    struct Asset: Sendable {
        var kind: String
        var externalId: String
        var displayName: String
        var normalizedText: String
        /// What `q` finds the asset by in this source (`AssetStore.condition`).
        var searchText: String
        var rawText: String
        /// SHA-256 of the raw payload: equal documents are stored once.
        var rawHash: String
        var key: String { kind + "\u{1F}" + externalId }
    }

    struct Relation: Sendable {
        var type: String
        var fromKey: String
        var toKey: String
        /// The source whose asset `to` names, when not the collecting one (`to.source_id`): Fathom's own source links
        /// database instances to VMs and hosts other sources collected.
        var toSourceId: String? = nil
    }

    struct Problem: Error {
        var path: String
        var message: String
    }

    var assets: [Asset]
    var relations: [Relation]
    /// Assets reported twice in one response: the first is kept.
    var duplicateAssets: Int

    /// The longest search text kept per link: enough for every name and address of a machine.
    static let maxSearchText = 4_096

    /// The external id and every text value of a normalized record, lower-cased, one per line (so a search never
    /// matches across two values).
    static func searchText(_ externalId: String, _ normalized: JSONValue) -> String {
        var values = [externalId]
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let text): values.append(text)
            case .array(let items): items.forEach(collect)
            case .object(let fields): for key in fields.keys.sorted() { collect(fields[key]!) }
            default: break
            }
        }
        collect(normalized)
        return String(values.joined(separator: "\n").lowercased().prefix(maxSearchText))
    }

    /// Reads a response that passed the response schema; every `normalized` record is checked here.
    static func read(_ document: [String: JSONValue]) -> Result<Inventory, Problem> {
        var assets: [Asset] = []
        var seen = Set<String>()
        var duplicates = 0
        if case .array(let items)? = document["assets"] {
            assets.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                let asset: Asset
                switch check(item, index: index) {
                case .success(let checked): asset = checked
                case .failure(let problem): return .failure(problem)
                }
                guard seen.insert(asset.key).inserted else {
                    duplicates += 1
                    continue
                }
                assets.append(asset)
            }
        }
        var relations: [Relation] = []
        if case .array(let items)? = document["relations"] {
            relations.reserveCapacity(items.count)
            for item in items {
                func key(_ end: JSONValue?) -> String {
                    (end?["external_kind"]?.stringValue ?? "") + "\u{1F}" + (end?["external_id"]?.stringValue ?? "")
                }
                relations.append(Relation(
                    type: item["type"]?.stringValue ?? "", fromKey: key(item["from"]), toKey: key(item["to"]),
                    toSourceId: item["to"]?["source_id"]?.stringValue))
            }
        }
        return .success(Inventory(assets: assets, relations: relations, duplicateAssets: duplicates))
    }

    /// Checks and prepares one asset of a response (its schema check, names, texts and payload hash).
    private static func check(_ item: JSONValue, index: Int) -> Result<Asset, Problem> {
        let kind = item["external_kind"]?.stringValue ?? ""
        let externalId = item["external_id"]?.stringValue ?? ""
        let normalized = item["normalized"] ?? [:]
        // The path is only made for a record that breaks the schema.
        if !CollectorSchemas.normalized.conforms(normalized),
            let problem = CollectorSchemas.normalized.violation(normalized, at: "assets[\(index)].normalized")
        {
            return .failure(Problem(path: problem.path, message: problem.message))
        }
        guard normalized["kind"]?.stringValue == kind else {
            return .failure(Problem(path: "assets[\(index)].normalized.kind", message: "must equal external_kind '\(kind)'"))
        }
        let rawText = CollectorJSON.text(item["raw_payload"] ?? .null)
        return .success(Asset(
            kind: kind, externalId: externalId, displayName: displayName(normalized, fallback: externalId),
            normalizedText: CollectorJSON.text(normalized), searchText: searchText(externalId, normalized),
            rawText: rawText, rawHash: hex(SHA256.hash(data: Data(rawText.utf8)))))
    }

    /// Lower-case hex without `String(format:)`, which is slow enough to matter at 50,000 assets.
    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The name people know the asset by: its caption, else its hostname, else its external id.
    static func displayName(_ normalized: JSONValue, fallback: String) -> String {
        for key in ["caption", "hostname"] {
            if let value = normalized["identity"]?[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                return value
            }
        }
        return fallback
    }
}
