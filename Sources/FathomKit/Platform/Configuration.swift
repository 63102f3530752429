import Foundation

/// Everything Fathom is configured with, built once from flags and environment and passed down.
public struct FathomConfiguration: Sendable {
    public enum ServerRole: String, Sendable, CaseIterable {
        case api, worker, all
    }

    /// When the session cookie gets `Secure`.
    public enum CookieSecurity: String, Sendable {
        /// When the request came over TLS (X-Forwarded-Proto: https from a trusted proxy).
        case auto
        case always
        case never
    }

    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDir = "./fathom-data"
    /// `postgres://…` for PostgreSQL; nil means SQLite at `<dataDir>/fathom.sqlite`.
    public var databaseURL: String?
    public var role: ServerRole = .all

    /// Password for the bootstrap `admin` user; random and printed once when nil.
    public var adminPassword: String?
    /// Master key for secrets at rest; nil reads/creates `<dataDir>/secret.key`.
    public var secretKey: String?
    public var bcryptCost = 12

    public var sessionIdleTimeout: TimeInterval = 30 * 60
    public var sessionAbsoluteTimeout: TimeInterval = 12 * 60 * 60
    public var cookieSecurity: CookieSecurity = .auto
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` from the peer (set when behind a reverse proxy).
    public var trustProxy = false

    public var readRequestsPerMinute = 600
    public var writeRequestsPerMinute = 60
    public var loginFailuresPerUsername = 5
    public var loginFailuresPerAddress = 20
    public var loginThrottleWindow: TimeInterval = 15 * 60

    public var logLevel = "info"
    /// How long a job's lease lasts without a heartbeat before another worker may take the job over.
    public var jobLeaseSeconds = 30
    /// Concurrent jobs per worker process.
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Provider used when a create request names none.
    public var defaultProvider = "local"
    /// Database names (shell globs) the inventory never records.
    public var capacityExcluded: [String] = []
    /// Loopback ports the local provider gives to instances.
    public var localPorts: ClosedRange<Int> = 15432...16431
    /// Networks `external` instances may use although they are refused by default (loopback, link-local, metadata,
    /// the local provider's ports): `FATHOM_EXTERNAL_ALLOW`, comma-separated CIDRs.
    public var externalAllow: [CIDR] = []
    /// How long a connection may stay idle (or send its request head) before the server closes it.
    public var idleTimeout: Duration = .seconds(60)
    /// How long a client has, from the first byte of a request head, to finish sending it (slow-header clients).
    public var headerTimeout: Duration = .seconds(10)
    /// Open HTTP connections at most; at the limit the quietest idle connection is closed to make room, and when all
    /// are busy new ones wait in the listen backlog (`FATHOM_MAX_CONNECTIONS`). Each costs a file descriptor.
    public var maxConnections = 1024
    /// Connections the kernel queues while the server is not accepting (`FATHOM_LISTEN_BACKLOG`).
    public var listenBacklog = 256
    /// How long a `/v1` request waits for a duplicate of it (same `Idempotency-Key`) that is still running before
    /// it is answered `409 IDEMPOTENCY_IN_FLIGHT`: long enough for a create to answer, short enough that a client's
    /// retry storm does not hold connections (`FATHOM_IDEMPOTENCY_WAIT_SECONDS`, 0 answers at once).
    public var idempotencyWait: Duration = .seconds(30)
    /// Business time zone (IANA) for daily schedules and capacity days.
    public var timezone = "UTC"
    /// Keep the answers of the ledger, capacity and asset pages until a write or the next second (`ResponseCache`).
    public var responseCache = true

    public init() {}

    /// The store URL actually used.
    public var resolvedDatabaseURL: String {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        return URL(fileURLWithPath: dataDir).appendingPathComponent("fathom.sqlite").path
    }

    /// Applies `FATHOM_*` environment variables; flags given on the command line are applied after this.
    public mutating func apply(environment: [String: String]) throws {
        func int(_ name: String) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), value > 0 else {
                throw ConfigurationError.invalid(name, "must be a positive integer")
            }
            return value
        }
        if let value = environment["FATHOM_DATABASE_URL"], !value.isEmpty { databaseURL = value }
        if let value = environment["FATHOM_DATA_DIR"], !value.isEmpty { dataDir = value }
        if let value = environment["FATHOM_ADMIN_PASSWORD"], !value.isEmpty { adminPassword = value }
        if let value = environment["FATHOM_SECRET_KEY"], !value.isEmpty { secretKey = value }
        if let value = environment["FATHOM_LOG_LEVEL"], !value.isEmpty { logLevel = value }
        if let value = try int("FATHOM_BCRYPT_COST") {
            guard (4...31).contains(value) else { throw ConfigurationError.invalid("FATHOM_BCRYPT_COST", "4…31") }
            bcryptCost = value
        }
        if let value = try int("FATHOM_RATE_LIMIT_READ_PER_MINUTE") { readRequestsPerMinute = value }
        if let value = try int("FATHOM_RATE_LIMIT_WRITE_PER_MINUTE") { writeRequestsPerMinute = value }
        if let value = try int("FATHOM_SESSION_IDLE_MINUTES") { sessionIdleTimeout = TimeInterval(value * 60) }
        if let value = try int("FATHOM_SESSION_ABSOLUTE_HOURS") { sessionAbsoluteTimeout = TimeInterval(value * 3600) }
        if let value = environment["FATHOM_COOKIE_SECURE"], !value.isEmpty {
            guard let mode = CookieSecurity(rawValue: value) else {
                throw ConfigurationError.invalid("FATHOM_COOKIE_SECURE", "auto, always or never")
            }
            cookieSecurity = mode
        }
        if let value = try int("FATHOM_WORKERS") { workers = value }
        if let value = environment["FATHOM_CAPACITY_EXCLUDE"], !value.isEmpty {
            capacityExcluded = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let value = try int("FATHOM_JOB_LEASE_SECONDS") { jobLeaseSeconds = max(2, value) }
        if let value = environment["FATHOM_LOCAL_PORTS"], !value.isEmpty {
            let parts = value.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 2, parts[0] >= 1024, parts[0] <= parts[1], parts[1] <= 65_535 else {
                throw ConfigurationError.invalid("FATHOM_LOCAL_PORTS", "a range such as 15432-16431")
            }
            localPorts = parts[0]...parts[1]
        }
        if let value = environment["FATHOM_TIMEZONE"], !value.isEmpty {
            guard TimeZone(identifier: value) != nil else {
                throw ConfigurationError.invalid("FATHOM_TIMEZONE", "an IANA time zone such as Europe/Berlin")
            }
            timezone = value
        }
        if let value = environment["FATHOM_EXTERNAL_ALLOW"], !value.isEmpty {
            guard let list = ExternalNetworkPolicy.parseAllowList(value) else {
                throw ConfigurationError.invalid("FATHOM_EXTERNAL_ALLOW", "comma-separated networks such as 10.0.0.0/8,127.0.0.1/32")
            }
            externalAllow = list
        }
        if let text = environment["FATHOM_IDEMPOTENCY_WAIT_SECONDS"], !text.isEmpty {
            guard let value = Int(text), (0...300).contains(value) else {
                throw ConfigurationError.invalid("FATHOM_IDEMPOTENCY_WAIT_SECONDS", "0…300")
            }
            idempotencyWait = .seconds(value)
        }
        if let value = try int("FATHOM_IDLE_TIMEOUT_SECONDS") { idleTimeout = .seconds(value) }
        if let value = try int("FATHOM_HEADER_TIMEOUT_SECONDS") { headerTimeout = .seconds(value) }
        if let value = try int("FATHOM_MAX_CONNECTIONS") { maxConnections = value }
        if let value = environment["FATHOM_RESPONSE_CACHE"], !value.isEmpty {
            guard ["on", "off"].contains(value) else {
                throw ConfigurationError.invalid("FATHOM_RESPONSE_CACHE", "on or off")
            }
            responseCache = value == "on"
        }
        if let value = try int("FATHOM_LISTEN_BACKLOG") { listenBacklog = value }
        if let value = environment["FATHOM_TRUST_PROXY"] { trustProxy = ["1", "true", "yes"].contains(value) }
    }
}

public enum ConfigurationError: Error, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let name, let expected): return "\(name): \(expected)"
        }
    }
}
