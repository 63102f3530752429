import Foundation
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
    /// The operation being carried out (names its scratch directories, so a retry never touches another's).
    public var operationId: String = ""
    /// True when this run resumes an operation whose worker died part-way.
    public var resuming: Bool = false
    /// Steps recorded by earlier runs of this operation (see `step`).
    public var completedSteps: [String] = []
    /// Records that a named step is done, durably, before the next one starts (a fault point fires here in tests).
    public var step: @Sendable (String) async throws -> Void = { _ in }

    public init(
        instance: Instance, credential: JSONValue?, logger: Logger, progress: @escaping @Sendable (Int, String) async -> Void
    ) {
        self.instance = instance
        self.credential = credential
        self.logger = logger
        self.progress = progress
    }
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
    /// WAL archiving and point-in-time restore (`backup_policy.pitr_enabled`, `point_in_time`).
    case pitr
}

/// How an instance's WAL archiving is going (PostgreSQL's pg_stat_archiver), so a failing archive is seen.
public struct ArchiveHealth: Encodable, Sendable, Equatable {
    public var archived_count: Int64
    public var last_archived_wal: String?
    public var last_archived_at: String?
    public var failed_count: Int64
    public var last_failed_wal: String?
    public var last_failed_at: String?
}

/// Where a base backup starts in an instance's WAL archive: the first moment a point-in-time restore from it can
/// reach (server time) and the first WAL segment it needs.
public struct ArchiveStart: Sendable, Equatable {
    public var recoverableFrom: Int64
    public var walStart: String

    public init(recoverableFrom: Int64, walStart: String) {
        self.recoverableFrom = recoverableFrom
        self.walStart = walStart
    }
}

/// Does the real work behind the DBaaS API for one kind of infrastructure.
public protocol Provider: Sendable {
    var name: String { get }
    /// Engine → versions offered; empty when nothing can be provisioned here (the reason is `unavailableReason`).
    func engines() -> [String: [String]]
    var unavailableReason: String? { get }
    var supportedActions: Set<ProviderAction> { get }
    /// Whether an operation whose worker died can be run again to completion (every step is idempotent and
    /// recorded). Otherwise such an operation is failed and its instance marked FAILED.
    var resumesAfterCrash: Bool { get }

    func create(_ context: ProviderContext) async throws -> ProvisionResult
    func update(_ context: ProviderContext, from old: Instance) async throws -> ProvisionResult
    func delete(_ context: ProviderContext) async throws
    func restart(_ context: ProviderContext) async throws
    func failover(_ context: ProviderContext) async throws -> ProvisionResult
    func backup(_ context: ProviderContext, backup: Backup) async throws -> (sizeBytes: Int64, location: String)
    func deleteBackup(_ backup: Backup) async throws
    func restore(_ context: ProviderContext, from backup: Backup) async throws
    func restore(_ context: ProviderContext, from backup: Backup, until target: Date?) async throws
    func archiveStart(of backup: Backup) -> ArchiveStart?
    func archiveNewest(_ instance: Instance) -> Int64?
    func pruneArchive(_ instance: Instance, keepingFrom walStart: String?) async throws
    func archiveHealth(_ instance: Instance) async -> ArchiveHealth?
    func applyUser(_ context: ProviderContext, _ change: UserChange, creating: Bool) async throws
    func dropUser(_ context: ProviderContext, name: String) async throws
    func createDatabase(_ context: ProviderContext, _ spec: DatabaseSpec) async throws
    func dropDatabase(_ context: ProviderContext, name: String) async throws
}

extension Provider {
    public var resumesAfterCrash: Bool { false }

    /// Where a finished backup starts in the WAL archive; nil when the provider keeps no archive.
    public func archiveStart(of backup: Backup) -> ArchiveStart? { nil }

    /// When the newest archived WAL segment was written (milliseconds), if the instance has an archive.
    public func archiveNewest(_ instance: Instance) -> Int64? { nil }

    /// How WAL archiving is going on the instance's primary; nil when unknown.
    public func archiveHealth(_ instance: Instance) async -> ArchiveHealth? { nil }

    /// Drops archived WAL older than `walStart` (what the oldest kept backup needs); nil drops nothing.
    public func pruneArchive(_ instance: Instance, keepingFrom walStart: String?) async throws {}

    /// Restores a backup and, given a target, replays the archived WAL up to exactly that moment.
    public func restore(_ context: ProviderContext, from backup: Backup, until target: Date?) async throws {
        guard target == nil else { throw AppError(.unprocessable, "Provider '\(name)' does not restore to a point in time") }
        try await restore(context, from: backup)
    }
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
