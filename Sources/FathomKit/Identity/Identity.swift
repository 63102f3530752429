import Foundation
import Logging

/// Users, sessions, tokens and sign-in rules: the Identity feature's service.
public struct Identity: Sendable {
    public let users: UserStore
    let sessions: SessionStore
    let tokens: TokenStore
    let counters: RateCounters
    public let hasher: PasswordHasher
    let clock: WallClock
    let configuration: FathomConfiguration
    let logger: Logger

    public init(store: Store, configuration: FathomConfiguration, clock: WallClock, logger: Logger) {
        users = UserStore(store: store)
        sessions = SessionStore(store: store)
        tokens = TokenStore(store: store)
        counters = RateCounters(store: store)
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
    }
}
