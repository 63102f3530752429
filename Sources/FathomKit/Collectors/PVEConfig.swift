import Foundation

/// A `pve` source's settings: the shared endpoint settings plus `scope` (`cluster`: every node the endpoint's
/// cluster has; `standalone`: only the node the endpoint is) and `max_parallel_nodes` (nodes read at once).
struct PVEConfig: Sendable {
    enum Scope: String, Sendable { case standalone, cluster }

    var endpoint: EndpointConfig
    var scope: Scope
    var maxParallelNodes: Int

    static let defaultParallelNodes = 4

    init(_ config: JSONValue) throws {
        endpoint = try EndpointConfig(config)
        switch config["scope"] {
        case nil, .null?: scope = .cluster
        case .string(let text)? where Scope(rawValue: text) != nil: scope = Scope(rawValue: text)!
        default: throw CollectorFailure(.configInvalid, "config.scope must be standalone or cluster", context: ["field": "scope"])
        }
        let given = config["max_parallel_nodes"] ?? .null
        let parallel = given == .null ? Int64(Self.defaultParallelNodes) : (given.intValue ?? 0)
        guard (1...64).contains(parallel) else {
            throw CollectorFailure(.configInvalid, "config.max_parallel_nodes must be an integer from 1 to 64", context: ["field": "max_parallel_nodes"])
        }
        maxParallelNodes = Int(parallel)
    }
}

/// How the collector proves who it is: an API token (sent on every request) or a user's password (exchanged once
/// for a ticket). Credential keys: `token` (`user@realm!id=secret`, with or without `PVEAPIToken=`), or
/// `token_id` + `token_secret`, or `username` (`user@realm`, `@pam` when no realm is named) + `password`.
enum PVECredential: Sendable {
    case token(String)
    case password(username: String, password: String)

    init(_ credential: [String: String]) throws {
        if let token = credential["token"], !token.isEmpty {
            let value = token.hasPrefix("PVEAPIToken=") ? String(token.dropFirst("PVEAPIToken=".count)) : token
            guard Self.isToken(value) else { throw Self.invalid("credential.token must look like user@realm!id=secret") }
            self = .token(value)
        } else if let id = credential["token_id"], let secret = credential["token_secret"], !id.isEmpty, !secret.isEmpty {
            guard Self.isToken("\(id)=\(secret)") else { throw Self.invalid("credential.token_id must look like user@realm!id") }
            self = .token("\(id)=\(secret)")
        } else if let username = credential["username"], let password = credential["password"], !username.isEmpty, !password.isEmpty {
            self = .password(username: username.contains("@") ? username : username + "@pam", password: password)
        } else {
            throw Self.invalid("the credential needs token (user@realm!id=secret), token_id and token_secret, or username and password")
        }
    }

    private static func isToken(_ value: String) -> Bool {
        guard let bang = value.firstIndex(of: "!"), let equals = value[bang...].firstIndex(of: "=") else { return false }
        return value[..<bang].contains("@") && equals > value.index(after: bang) && equals < value.index(before: value.endIndex)
    }

    private static func invalid(_ message: String) -> CollectorFailure {
        CollectorFailure(.configInvalid, message, context: ["field": "credential"])
    }
}
