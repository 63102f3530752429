import Logging
import Synchronization

/// What a provider needs to act on one instance.
public struct ProviderContext: Sendable {
    public var instance: Instance
    /// The instance's decrypted credential JSON (superuser or registered account), if it has one.
    public var credential: JSONValue?
    public var logger: Logger
    /// Reports progress (0–100) on the operation.
    public var progress: @Sendable (Int, String) async -> Void
}

/// The result of provisioning or changing an instance.
public struct ProvisionResult: Sendable {
    public var endpoints: [Endpoint]
    public var version: String?
    /// A credential to keep (sealed) for later operations, e.g. a generated superuser password.
    public var credential: JSONValue?
    /// Figures for the operation's result (e.g. how long a failover left clients without a primary).
    public var report: [String: JSONValue]

    public init(endpoints: [Endpoint], version: String? = nil, credential: JSONValue? = nil, report: [String: JSONValue] = [:]) {
        self.endpoints = endpoints
        self.version = version
        self.credential = credential
        self.report = report
    }
}

/// A requested change to a database user.
public struct UserChange: Sendable {
    public var name: String
    public var password: String?
    public var login: Bool
    public var connectionLimit: Int
    public var roles: [String]
    public var privileges: [String: [String]]
}

/// The actions a provider supports; others are refused with 422 before any operation starts.
public enum ProviderAction: String, Sendable, CaseIterable {
    case update, restart, failover, backup, restore, users, databases
}

/// Does the real work behind the DBaaS API for one kind of infrastructure.
public protocol Provider: Sendable {
    var name: String { get }
    /// Engine → versions offered; empty when nothing can be provisioned here (the reason is `unavailableReason`).
    func engines() -> [String: [String]]
    var unavailableReason: String? { get }
    var supportedActions: Set<ProviderAction> { get }

    func create(_ context: ProviderContext) async throws -> ProvisionResult
    func update(_ context: ProviderContext, from old: Instance) async throws -> ProvisionResult
    func delete(_ context: ProviderContext) async throws
    func restart(_ context: ProviderContext) async throws
    func failover(_ context: ProviderContext) async throws -> ProvisionResult
    func backup(_ context: ProviderContext, backup: Backup) async throws -> (sizeBytes: Int64, location: String)
    func deleteBackup(_ backup: Backup) async throws
    func restore(_ context: ProviderContext, from backup: Backup) async throws
    func applyUser(_ context: ProviderContext, _ change: UserChange, creating: Bool) async throws
    func dropUser(_ context: ProviderContext, name: String) async throws
    func createDatabase(_ context: ProviderContext, _ spec: DatabaseSpec) async throws
    func dropDatabase(_ context: ProviderContext, name: String) async throws
}

/// The providers this server has, by name.
public final class ProviderRegistry: Sendable {
    private let providers = Mutex<[String: any Provider]>([:])

    public init() {}

    public func register(_ provider: any Provider) {
        providers.withLock { $0[provider.name] = provider }
    }

    public func provider(_ name: String) -> (any Provider)? { providers.withLock { $0[name] } }
    public var names: [String] { providers.withLock { $0.keys.sorted() } }
}
