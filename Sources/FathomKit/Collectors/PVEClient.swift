import Foundation
import NIOHTTP1

/// The Proxmox VE REST API (`/api2/json`) as the collector reads it: authenticated GETs answering `{"data": …}`.
/// An API token goes with every request; a password is exchanged once for a ticket (cookie `PVEAuthCookie`, plus
/// the `CSRFPreventionToken` header PVE wants with a ticket).
struct PVEClient: Sendable {
    let transport: HTTPTransport
    /// `…/api2/json`, whatever path the source's endpoint names.
    let base: URL
    private(set) var authHeaders: [(String, String)] = []

    init(transport: HTTPTransport, endpoint: URL) {
        self.transport = transport
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)
        components?.path = "/api2/json"
        components?.query = nil
        components?.user = nil
        components?.password = nil
        base = components?.url ?? endpoint
    }

    /// A client that proves `credential` on every call (a password is turned into a ticket here).
    func authenticated(_ credential: PVECredential) async throws -> PVEClient {
        var client = self
        switch credential {
        case .token(let token):
            client.authHeaders = [("Authorization", "PVEAPIToken=\(token)")]
        case .password(let username, let password):
            let form = "username=\(Self.formEncode(username))&password=\(Self.formEncode(password))"
            let data = try await request(.POST, "/access/ticket", body: Data(form.utf8),
                                         headers: [("Content-Type", "application/x-www-form-urlencoded")])
            guard let ticket = data["ticket"]?.stringValue, let csrf = data["CSRFPreventionToken"]?.stringValue else {
                throw CollectorFailure(.authFailed, "Proxmox VE answered the login without a ticket")
            }
            client.authHeaders = [("Cookie", "PVEAuthCookie=\(ticket)"), ("CSRFPreventionToken", csrf)]
        }
        return client
    }

    /// The `data` member of a GET's answer.
    func get(_ path: String) async throws -> JSONValue { try await request(.GET, path, body: nil, headers: []) }

    /// Path segments (node names) as they go into a URL.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    private func request(_ method: HTTPMethod, _ path: String, body: Data?, headers: [(String, String)]) async throws -> JSONValue {
        guard let url = URL(string: base.absoluteString + path) else {
            throw CollectorFailure(.configInvalid, "config.endpoint cannot be combined with \(path)")
        }
        let context: [String: JSONValue] = ["endpoint": .string("\(base.host ?? ""):\(base.port.map(String.init) ?? "")"), "path": .string(path)]
        let reply: HTTPTransport.Reply
        do {
            reply = try await transport.send(method, url, headers: [("Accept", "application/json")] + authHeaders + headers, body: body)
        } catch let failure as HTTPTransport.Failure {
            switch failure {
            case .tls(let reason): throw CollectorFailure(.tlsError, "TLS with Proxmox VE failed: \(reason)", context: context)
            case .network(let reason): throw CollectorFailure(.networkError, "Proxmox VE cannot be reached: \(reason)", context: context)
            case .timedOut: throw CollectorFailure(.networkError, "Proxmox VE did not answer within the timeout", context: context)
            case .tooLarge: throw CollectorFailure(.parseError, "Proxmox VE's answer exceeded the size limit", context: context)
            }
        }
        var withStatus = context
        withStatus["http_status"] = .int(Int64(reply.status))
        switch reply.status {
        case 200..<300: break
        case 401: throw CollectorFailure(.authFailed, "Proxmox VE refused the credential (HTTP 401)", context: withStatus)
        case 403: throw CollectorFailure(.permissionDenied, "The account may not read \(path) (HTTP 403)", context: withStatus)
        case 429: throw CollectorFailure(.rateLimit, "Proxmox VE asked to slow down (HTTP 429)", context: withStatus)
        // 5xx, and PVE's own 595/596 when a node it proxies to does not answer: worth trying again later.
        case 500...: throw CollectorFailure(.networkError, "Proxmox VE answered \(path) with HTTP \(reply.status)", context: withStatus)
        default: throw CollectorFailure(.parseError, "Proxmox VE answered \(path) with HTTP \(reply.status)", context: withStatus)
        }
        guard let document = try? CollectorJSON.parse(reply.body), case .object(let object) = document else {
            throw CollectorFailure(.parseError, "Proxmox VE's answer to \(path) is not a JSON object", context: withStatus)
        }
        return object["data"] ?? .null
    }

    private static func formEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
