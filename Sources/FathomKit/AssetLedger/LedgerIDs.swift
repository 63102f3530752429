import Foundation

/// Identifiers of the asset ledger: a type prefix and 20 random hex digits (`sg_…`, `src_…`, `run_…`, `rec_…`);
/// assets use plain lower-case UUIDs (DESIGN.md "Identifiers").
enum LedgerID {
    static func make(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
    }

    static func asset() -> String { UUID().uuidString.lowercased() }
}

/// Query-string helpers shared by the ledger's list routes.
enum LedgerParams {
    /// `true`/`false` (also `1`/`0`); anything else is a 400 naming the parameter.
    static func bool(_ value: Substring?, name: String) throws -> Bool? {
        guard let value else { return nil }
        switch value.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw AppError.invalid(field: name, issue: "invalid", "\(name) must be true or false")
        }
    }

    /// A value from a fixed set; anything else is a 400 listing the allowed values.
    static func oneOf(_ value: Substring?, name: String, _ allowed: [String]) throws -> String? {
        guard let value else { return nil }
        guard allowed.contains(String(value)) else {
            throw AppError.invalid(field: name, issue: "invalid", "\(name) must be one of \(allowed.joined(separator: ", "))")
        }
        return String(value)
    }
}
