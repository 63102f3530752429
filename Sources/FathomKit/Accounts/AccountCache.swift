import Foundation
import Synchronization

/// The accounts feature's cache: three namespaces over one bounded cache, and invalidations that every replica
/// applies (the local one at once, the others through `broadcast`, PostgreSQL NOTIFY when several replicas share one).
public final class AccountCache: Sendable {
    public enum Namespace: String, CaseIterable, Sendable {
        /// instance + username → permission snapshot and facts.
        case user_permissions
        /// instance → its name, endpoint, type and tags.
        case instance
        /// db_type → compiled active rules.
        case classification_rules
    }

    /// What to drop; sent to the other replicas as JSON.
    public enum Invalidation: Codable, Sendable, Equatable {
        case user(instanceId: Int64, username: String)
        case instance(Int64)
        case allInstances
        /// Instance names, endpoints or labels changed somewhere: every instance's details.
        case instanceDetails
        case classification(dbType: String?)
    }

    let storage: BoundedCache
    public let enabled: Bool
    /// Tells the other replicas; set once the listener is up (nil: one process, nothing to tell).
    private let broadcast = Mutex<(@Sendable (Invalidation) async -> Void)?>(nil)

    init(limits: BoundedCache.Limits = .init(), enabled: Bool = true, now: @escaping @Sendable () -> Int64) {
        storage = BoundedCache(limits: limits, now: now)
        self.enabled = enabled
    }

    func setBroadcast(_ send: @escaping @Sendable (Invalidation) async -> Void) { broadcast.withLock { $0 = send } }

    static func userKey(_ instanceId: Int64, _ username: String) -> String { "\(instanceId):\(username)" }

    func permissions(instanceId: Int64, username: String) -> CachedPermissions? {
        enabled ? storage.get(Namespace.user_permissions.rawValue, Self.userKey(instanceId, username)) : nil
    }

    func setPermissions(_ value: CachedPermissions) {
        guard enabled else { return }
        storage.set(Namespace.user_permissions.rawValue, Self.userKey(value.instanceId, value.username), value, bytes: value.bytes)
    }

    func instance(_ id: Int64) -> LedgerQuery.InstanceDetails? { enabled ? storage.get(Namespace.instance.rawValue, String(id)) : nil }

    func setInstance(_ id: Int64, _ details: LedgerQuery.InstanceDetails) {
        guard enabled else { return }
        let bytes = details.tags.reduce(200) { $0 + $1.name.utf8.count } + details.view.name.utf8.count
        storage.set(Namespace.instance.rawValue, String(id), details, bytes: bytes)
    }

    func rules(_ dbType: String) -> [CompiledRule]? { enabled ? storage.get(Namespace.classification_rules.rawValue, dbType) : nil }

    func setRules(_ dbType: String, _ rules: [CompiledRule]) {
        guard enabled else { return }
        storage.set(Namespace.classification_rules.rawValue, dbType, rules, bytes: rules.reduce(64) { $0 + $1.bytes })
    }

    /// Applies `invalidation` here and tells the other replicas; returns the entries removed here.
    @discardableResult
    public func invalidate(_ invalidation: Invalidation) async -> Int {
        let removed = apply(invalidation)
        if let send = broadcast.withLock({ $0 }) { await send(invalidation) }
        return removed
    }

    /// Applies an invalidation to this process's cache only (what a replica does with one it is told about).
    @discardableResult
    public func apply(_ invalidation: Invalidation) -> Int {
        switch invalidation {
        case .user(let instanceId, let username):
            return storage.remove(Namespace.user_permissions.rawValue, key: Self.userKey(instanceId, username))
        case .instance(let id):
            let prefix = "\(id):"
            return storage.remove(Namespace.user_permissions.rawValue) { $0.hasPrefix(prefix) }
                + storage.remove(Namespace.instance.rawValue, key: String(id))
        case .allInstances:
            return storage.remove(Namespace.user_permissions.rawValue) { _ in true }
                + storage.remove(Namespace.instance.rawValue) { _ in true }
        case .instanceDetails:
            return storage.remove(Namespace.instance.rawValue) { _ in true }
        case .classification(let dbType):
            return storage.remove(Namespace.classification_rules.rawValue) { dbType == nil || $0 == dbType }
        }
    }

    /// Statistics of every namespace (all three listed, also before first use).
    func stats() -> [String: BoundedCache.Stats] {
        var stats = storage.stats()
        for namespace in Namespace.allCases where stats[namespace.rawValue] == nil { stats[namespace.rawValue] = .init() }
        return stats
    }
}

/// An account's permissions as the cache keeps them: decoded once, served many times.
struct CachedPermissions: Sendable {
    var accountId: Int64
    var instanceId: Int64
    var username: String
    var dbType: String
    var isActive: Bool
    var snapshot: PermissionSnapshot
    var facts: AccountFacts
    /// Approximate memory: the stored JSON's length is a fair measure of the decoded value's.
    var bytes: Int
}
