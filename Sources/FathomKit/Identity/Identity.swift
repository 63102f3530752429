import Foundation
import Logging
import Synchronization

/// Users, sessions, tokens and sign-in rules: the Identity feature's service.
public struct Identity: Sendable {
    public let users: UserStore
    let sessions: SessionStore
    let tokens: TokenStore
    let counters: RateCounters
    let loginFailures: LoginThrottleStore
    let recentTokens = RecentTokens()
    public let hasher: PasswordHasher
    let clock: WallClock
    let configuration: FathomConfiguration
    let logger: Logger

    public init(store: Store, configuration: FathomConfiguration, clock: WallClock, logger: Logger) {
        users = UserStore(store: store)
        sessions = SessionStore(store: store)
        tokens = TokenStore(store: store)
        counters = RateCounters(store: store)
        loginFailures = LoginThrottleStore(store: store)
        hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    var idleTimeoutMillis: Int64 { Int64(configuration.sessionIdleTimeout * 1000) }
    var absoluteTimeoutMillis: Int64 { Int64(configuration.sessionAbsoluteTimeout * 1000) }

    /// Removes expired sessions and counters; run periodically.
    public func purgeExpired() async throws {
        let now = clock.millis()
        try await sessions.purgeExpired(now: now, idleTimeout: idleTimeoutMillis)
        try await counters.purgeExpired(now: now)
        try await loginFailures.purge(before: now - Int64(configuration.loginThrottleWindow * 1000))
    }

    /// The wait after the `failures`-th failure of a username from one address: none for the first `free`, then
    /// 1 s, 2 s, 4 s … up to `maximum` (milliseconds).
    static func loginDelay(failures: Int, free: Int, maximum: Int64) -> Int64 {
        guard failures >= free else { return 0 }
        let exponent = min(failures - free, 30)
        return min(maximum, Int64(1_000) << exponent)
    }

    /// Clears the sign-in throttle of a user by id (the admin API); an unknown id is 404.
    public func unlockUser(id: String) async throws {
        guard let user = try await users.find(id: id) else { throw AppError(.notFound, "User '\(id)' not found") }
        try await unlock(username: user.username)
    }

    /// Clears the sign-in throttle of a username on every address (`fathom users unlock`, the admin API).
    @discardableResult
    public func unlock(username: String) async throws -> Int {
        let cleared = try await loginFailures.clearAll(username: Credentials.loginKey(username))
        logger.info("login throttle cleared", metadata: ["username": .string(Credentials.loginKey(username))])
        return cleared
    }
}

/// Bearer tokens resolved in the last two seconds, so a program's burst of requests costs one store read, not one
/// per request. Revocations and user changes made through this process clear it at once; made elsewhere (another
/// replica, the `fathom` command) they take effect within the two seconds.
final class RecentTokens: Sendable {
    static let lifetime: Int64 = 2_000
    private struct Entry {
        var lookup: TokenStore.Lookup
        var fetchedAt: Int64
    }
    private let entries = Mutex<[String: Entry]>([:])

    func get(_ hash: String, now: Int64) -> TokenStore.Lookup? {
        entries.withLock { entries in
            guard let entry = entries[hash], now - entry.fetchedAt < Self.lifetime,
                entry.lookup.expiresAt.map({ $0 > now }) ?? true
            else { return nil }
            return entry.lookup
        }
    }

    func put(_ hash: String, _ lookup: TokenStore.Lookup, now: Int64) {
        entries.withLock { entries in
            if entries.count >= 10_000 { entries.removeAll() }
            entries[hash] = Entry(lookup: lookup, fetchedAt: now)
        }
    }

    /// Records the use written to the store, without extending the entry's life.
    func used(_ hash: String, at now: Int64) {
        entries.withLock { $0[hash]?.lookup.lastUsedAt = now }
    }

    func clear() { entries.withLock { $0.removeAll() } }
}
