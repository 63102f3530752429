import Foundation

/// A collector's own failure, reported in the response's `errors` as `{SOURCE}_{KIND}` (`collector-protocol.md`):
/// the run then fails with it as its primary error. Only network errors and rate limits are worth retrying.
struct CollectorFailure: Error, Sendable {
    enum Kind: String, Sendable {
        case configInvalid = "CONFIG_INVALID", authFailed = "AUTH_FAILED", permissionDenied = "PERMISSION_DENIED"
        case networkError = "NETWORK_ERROR", tlsError = "TLS_ERROR", parseError = "PARSE_ERROR", rateLimit = "RATE_LIMIT"

        var category: String {
            switch self {
            case .configInvalid: "config"
            case .authFailed: "auth"
            case .permissionDenied: "permission"
            case .networkError: "network"
            case .tlsError: "tls"
            case .parseError: "parse"
            case .rateLimit: "rate_limit"
            }
        }

        var retryable: Bool { self == .networkError || self == .rateLimit }
    }

    var kind: Kind
    var message: String
    var context: [String: JSONValue] = [:]

    init(_ kind: Kind, _ message: String, context: [String: JSONValue] = [:]) {
        self.kind = kind
        self.message = message
        self.context = context
    }

    /// The protocol's error object, its code prefixed with the source type (`VCENTER_AUTH_FAILED`).
    func document(prefix: String) -> JSONValue {
        [
            "code": .string("\(prefix)_\(kind.rawValue)"), "category": .string(kind.category), "message": .string(message),
            "retryable": .bool(kind.retryable), "redacted_context": .object(context),
        ]
    }
}
