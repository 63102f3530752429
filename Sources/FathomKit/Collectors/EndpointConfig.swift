import Foundation

/// The connection settings every HTTP-speaking built-in collector shares: `endpoint`, `tls_verify` (on unless the
/// source turns it off), `ca_bundle` (PEM path or text), `timeout_ms` (per request).
struct EndpointConfig: Sendable {
    var endpoint: URL
    var tlsVerify: Bool
    var caBundle: String?
    var timeoutMillis: Int64

    static let defaultTimeoutMillis: Int64 = 60_000

    init(_ config: JSONValue) throws {
        guard let text = config["endpoint"]?.stringValue, let url = URL(string: text), url.host != nil,
            let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme)
        else { throw CollectorFailure(.configInvalid, "config.endpoint must be an http(s) URL", context: ["field": "endpoint"]) }
        endpoint = url
        switch config["tls_verify"] {
        case nil, .null?: tlsVerify = true
        case .bool(let value)?: tlsVerify = value
        default: throw CollectorFailure(.configInvalid, "config.tls_verify must be a boolean", context: ["field": "tls_verify"])
        }
        switch config["ca_bundle"] {
        case nil, .null?: caBundle = nil
        case .string(let value)? where !value.isEmpty: caBundle = value
        default: throw CollectorFailure(.configInvalid, "config.ca_bundle must be a PEM file's path or PEM text", context: ["field": "ca_bundle"])
        }
        timeoutMillis = config["timeout_ms"]?.intValue ?? Self.defaultTimeoutMillis
        guard timeoutMillis >= 100 else {
            throw CollectorFailure(.configInvalid, "config.timeout_ms must be at least 100", context: ["field": "timeout_ms"])
        }
    }

    func transport() throws -> HTTPTransport {
        do {
            return try HTTPTransport(
                useTLS: endpoint.scheme?.lowercased() == "https", verify: tlsVerify, caBundle: caBundle, timeoutMillis: timeoutMillis)
        } catch {
            throw CollectorFailure(.configInvalid, "config.ca_bundle cannot be read as PEM certificates", context: ["field": "ca_bundle"])
        }
    }
}
