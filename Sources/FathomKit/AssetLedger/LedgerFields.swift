/// The fields of normalized-v1 that people keep by hand (DESIGN.md "Asset ledger semantics"): which leaves exist and
/// what they hold. A body names them as normalized-v1 nests them: `{"ownership": {"owner_name": "…"}, "comments": "…"}`.
enum LedgerFields {
    enum Kind { case text, texts }

    static let leaves: [String: Kind] = [
        "ownership.department": .text, "ownership.owner_name": .text, "ownership.owner_email": .text,
        "ownership.cc_emails": .texts,
        "location.region": .text, "location.city": .text, "location.cabinet": .text, "location.position": .text,
        "service.system_name": .text, "service.applications": .texts, "service.service_level": .text,
        "physical.fixed_asset_id": .text, "physical.maintenance_period": .text,
        "comments": .text,
    ]
    static let groups: Set<String> = ["ownership", "location", "service", "physical"]

    /// Reads a body into leaves (`nil` clears a leaf). An unknown key inside a group (`ownership.shoe_size`) is
    /// CONFIG_LEDGER_FIELD_KEY_INVALID; an unknown top-level key is an unknown body field (CONFIG_INVALID_REQUEST, the
    /// rule of every JSON body); wrong types are CONFIG_INVALID_REQUEST; an empty body sets nothing and is refused.
    static func parse(_ body: [String: JSONValue], field prefix: String = "") throws -> [(path: String, value: JSONValue?)] {
        var result: [(path: String, value: JSONValue?)] = []
        for key in body.keys.sorted() {
            let value = body[key]!
            if groups.contains(key) {
                guard case .object(let inner) = value else {
                    throw AppError.invalid(field: prefix + key, issue: "type_mismatch", "\(key) must be an object")
                }
                for innerKey in inner.keys.sorted() {
                    result.append((path: key + "." + innerKey, value: Optional(inner[innerKey]!)))
                }
            } else if leaves[key] != nil {
                result.append((path: key, value: Optional(value)))
            } else {
                throw AppError.invalid(field: prefix + key, issue: "unknown_field", "unknown field '\(prefix + key)'")
            }
        }
        var leavesOut: [(path: String, value: JSONValue?)] = []
        for (path, value) in result {
            guard let kind = leaves[path] else {
                throw AppError(
                    .configLedgerFieldKeyInvalid, "'\(path)' is not a ledger field",
                    details: [JSONValue.encode(FieldIssue(field: prefix + path, issue: "invalid", message: "allowed: \(leaves.keys.sorted().joined(separator: ", "))"))])
            }
            leavesOut.append((path: path, value: try check(value, kind, field: prefix + path)))
        }
        guard !leavesOut.isEmpty else {
            throw AppError.invalid(field: prefix.isEmpty ? "body" : String(prefix.dropLast()), issue: "required", "no ledger field given")
        }
        return leavesOut
    }

    private static func check(_ value: JSONValue?, _ kind: Kind, field: String) throws -> JSONValue? {
        switch (value, kind) {
        case (.null?, _), (nil, _): return nil
        case (.string(let text)?, .text):
            guard text.count <= 1000 else { throw AppError.invalid(field: field, issue: "too_long", "at most 1000 characters") }
            return .string(text)
        case (.array(let items)?, .texts) where items.allSatisfy({ $0.stringValue != nil }) && items.count <= 100:
            return .array(items)
        case (_, .text): throw AppError.invalid(field: field, issue: "type_mismatch", "expected a string or null")
        case (_, .texts): throw AppError.invalid(field: field, issue: "type_mismatch", "expected an array of at most 100 strings or null")
        }
    }
}
