import Hummingbird
import HummingbirdCore

/// Typed reads of `/api/v1` query parameters; a present but malformed value is a 400 naming the parameter.
struct QueryParameters {
    let uri: URI
    /// The caller's tenant scope: fleet queries add its condition (`TenantScopeQuery`).
    var scope: TenantScope = .fleet

    init(uri: URI, scope: TenantScope = .fleet) {
        self.uri = uri
        self.scope = scope
    }

    func string(_ name: String) -> String? {
        uri.queryParameters[Substring(name)].map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Every value of a repeated key, comma lists split too (`?tags=a&tags=b` or `?tags=a,b`).
    func list(_ name: String) -> [String] {
        uri.queryParameters.getAll(name).flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func int(_ name: String) throws -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Int64(text), value >= 1 else {
            throw AppError.invalid(field: name, issue: "invalid", "\(name) must be a positive integer")
        }
        return value
    }

    func requiredInt(_ name: String) throws -> Int64 {
        guard let value = try int(name) else {
            throw AppError.invalid(field: name, issue: "required", "\(name) is required")
        }
        return value
    }

    func bool(_ name: String, default value: Bool) throws -> Bool {
        guard let text = string(name)?.lowercased() else { return value }
        switch text {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw AppError.invalid(field: name, issue: "invalid", "\(name) must be true or false")
        }
    }

    func day(_ name: String) throws -> String? {
        guard let text = string(name) else { return nil }
        guard let day = BusinessCalendar.parseDay(text) else {
            throw AppError.invalid(field: name, issue: "invalid", "\(name) must be a date YYYY-MM-DD")
        }
        return day
    }
}
