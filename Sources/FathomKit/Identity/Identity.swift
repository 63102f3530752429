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
    let recentTokens = RecentLookups<TokenStore.Lookup>()
    let recentSessions = RecentLookups<SessionStore.Lookup>()
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

    /// Forgets every remembered credential: something that decides who a credential is, or whether it still
    /// works, has changed here.
    func forgetRecentCredentials() {
        recentTokens.clear()
        recentSessions.clear()
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

/// Credentials (bearer tokens, sessions) resolved in the last two seconds, so a client's burst of requests costs
/// one store read, not one per request — on PostgreSQL that read is a round trip per request. Revocations and user
/// changes made through this process clear it at once; made elsewhere (another replica, the `fathom` command) they
/// take effect within the two seconds. Expiry is checked by the caller on every use, so it is never outlived.
final class RecentLookups<Lookup: Sendable>: Sendable {
    static var lifetime: Int64 { 2_000 }
    private struct Entry {
        var lookup: Lookup
        var fetchedAt: Int64
    }
    private let entries = Mutex<[String: Entry]>([:])

    func get(_ key: String, now: Int64) -> Lookup? {
        entries.withLock { entries in
            guard let entry = entries[key], now - entry.fetchedAt < Self.lifetime else { return nil }
            return entry.lookup
        }
    }

    func put(_ key: String, _ lookup: Lookup, now: Int64) {
        entries.withLock { entries in
            if entries.count >= 10_000 { entries.removeAll() }
            entries[key] = Entry(lookup: lookup, fetchedAt: now)
        }
    }

    /// Records a change written to the store (last use, last activity) without extending the entry's life.
    func update(_ key: String, _ change: (inout Lookup) -> Void) {
        entries.withLock { entries in
            guard var entry = entries[key] else { return }
            change(&entry.lookup)
            entries[key] = entry
        }
    }

    func clear() { entries.withLock { $0.removeAll() } }
}
