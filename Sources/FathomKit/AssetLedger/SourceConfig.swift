import Foundation

/// Per-type validation of a source's `config` (400 CONFIG_INVALID_REQUEST naming each bad field) and what a run
/// needs from it. Every type may name an exec collector (`command`, `args`, `timeout_ms`, `max_output_bytes`);
/// `exec` must. The whole config object is passed to the collector unchanged.
enum SourceConfig {
    static let types = ["vcenter", "pve", "fathom", "exec"]
    /// Types whose collect must report relations when it reports assets (`INVENTORY_RELATIONS_EMPTY`).
    static let virtualization: Set<String> = ["vcenter", "pve"]

    static let defaultTimeoutMillis: Int64 = 300_000
    static let defaultMaxOutputBytes: Int64 = 512 << 20

    static func validate(type: String, config: JSONValue) throws {
        guard types.contains(type) else {
            throw AppError.invalid(field: "sourceType", issue: "invalid", "sourceType must be one of \(types.joined(separator: ", "))")
        }
        guard case .object(let object) = config else {
            throw AppError.invalid(field: "config", issue: "type_mismatch", "config must be an object")
        }
        var issues: [FieldIssue] = []
        func issue(_ key: String, _ kind: String, _ message: String) {
            issues.append(FieldIssue(field: "config.\(key)", issue: kind, message: message))
        }
        // Fathom's own source reads this installation's store: it has no endpoint.
        if type != "exec" && type != "fathom" {
            if let endpoint = object["endpoint"] {
                let url = endpoint.stringValue.flatMap(URL.init(string:))
                if url?.host == nil || !["http", "https"].contains(url?.scheme?.lowercased() ?? "") {
                    issue("endpoint", "invalid", "endpoint must be an http(s) URL")
                }
            } else {
                issue("endpoint", "required", "endpoint is required")
            }
        }
        switch object["command"] {
        case nil where type == "exec": issue("command", "required", "command is required (absolute path of the collector)")
        case nil: break
        case .string(let path)? where path.hasPrefix("/"): break
        default: issue("command", "invalid", "command must be an absolute path")
        }
        if let args = object["args"] {
            if case .array(let items) = args, items.allSatisfy({ $0.stringValue != nil }) {} else {
                issue("args", "invalid", "args must be an array of strings")
            }
        }
        if let timeout = object["timeout_ms"], !(timeout.intValue.map { (1000...86_400_000).contains($0) } ?? false) {
            issue("timeout_ms", "out_of_range", "timeout_ms must be an integer from 1000 to 86400000")
        }
        if let limit = object["max_output_bytes"], !(limit.intValue.map { (1024...(4 << 30)).contains($0) } ?? false) {
            issue("max_output_bytes", "out_of_range", "max_output_bytes must be an integer from 1024 to 4294967296")
        }
        // The built-in collectors' own keys (docs/collector-protocol.md), checked here so a typo fails at once.
        if let verify = object["tls_verify"], case .bool = verify {} else if object["tls_verify"] != nil {
            issue("tls_verify", "type_mismatch", "tls_verify must be a boolean")
        }
        if let bundle = object["ca_bundle"], bundle.stringValue?.isEmpty != false {
            issue("ca_bundle", "invalid", "ca_bundle must be a PEM file's path or PEM text")
        }
        if let size = object["page_size"], !(size.intValue.map { (1...10_000).contains($0) } ?? false) {
            issue("page_size", "out_of_range", "page_size must be an integer from 1 to 10000")
        }
        if let address = object["local_address"], address.stringValue?.isEmpty != false {
            issue("local_address", "invalid", "local_address must be a hostname or IP address")
        }
        if let scope = object["scope"], !["standalone", "cluster"].contains(scope.stringValue ?? "") {
            issue("scope", "invalid", "scope must be standalone or cluster")
        }
        if let parallel = object["max_parallel_nodes"], !(parallel.intValue.map { (1...64).contains($0) } ?? false) {
            issue("max_parallel_nodes", "out_of_range", "max_parallel_nodes must be an integer from 1 to 64")
        }
        if !issues.isEmpty { throw AppError.invalid(issues) }
    }

    static func command(_ config: JSONValue) -> String? { config["command"]?.stringValue }

    static func arguments(_ config: JSONValue) -> [String] {
        guard case .array(let items)? = config["args"] else { return [] }
        return items.compactMap(\.stringValue)
    }

    static func timeoutMillis(_ config: JSONValue) -> Int64 { config["timeout_ms"]?.intValue ?? defaultTimeoutMillis }

    static func maxOutputBytes(_ config: JSONValue) -> Int64 { config["max_output_bytes"]?.intValue ?? defaultMaxOutputBytes }

    /// Whether runs of this source need a credential: the built-in virtualization types do, exec plugins may not.
    static func needsCredential(_ type: String) -> Bool { type != "exec" && type != "fathom" }

    /// A credential is a flat object of strings (`username`, `password`, `token` …).
    static func validateCredential(_ value: JSONValue, field: String = "credential") throws -> [String: String] {
        guard case .object(let object) = value, !object.isEmpty else {
            throw AppError.invalid(field: field, issue: "invalid", "\(field) must be a non-empty object of strings")
        }
        var result: [String: String] = [:]
        for (key, item) in object {
            guard let text = item.stringValue else {
                throw AppError.invalid(field: "\(field).\(key)", issue: "type_mismatch", "credential values must be strings")
            }
            result[key] = text
        }
        return result
    }
}
