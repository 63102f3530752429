import HTTPTypes
import Foundation

extension Identity {
    /// A successful sign-in: the user and the new session's cookie value and CSRF token.
    public struct SignIn: Sendable {
        public var user: User
        public var sessionId: String
        public var csrfToken: String
    }

    /// Checks the password and opens a session.
    ///
    /// Throttling cannot be turned against a user: failures count per (normalized username, client address), with
    /// delays that grow past `loginFailuresPerUsername` failures, and per address overall (`loginFailuresPerAddress`
    /// in the window). Failures from one address never block the same username from another address. Blocked
    /// attempts are 429 with `Retry-After` and are not checked or counted.
    public func login(username rawUsername: String, password: String, address: String?) async throws -> SignIn {
        let username = Credentials.loginKey(rawUsername)
        let address = address ?? "unknown"
        let window = Int64(configuration.loginThrottleWindow * 1000)
        let now = clock.millis()
        let start = RateCounters.windowStart(now: now, length: window)
        let addressBucket = "login-addr:" + address
        let addressFailures = try await counters.count(bucket: addressBucket, windowStart: start)
        let blockedUntil = try await loginFailures.blockedUntil(username: username, address: address)
        if addressFailures >= configuration.loginFailuresPerAddress || blockedUntil > now {
            let until = addressFailures >= configuration.loginFailuresPerAddress ? max(start + window, blockedUntil) : blockedUntil
            var headers = HTTPFields()
            headers[.retryAfter] = String(max(1, (until - now + 999) / 1000))
            throw AppError(.authLoginThrottled, "Too many failed login attempts; try again later", headers: headers)
        }

        let found = try await users.credentials(username: username)
        // Verify against a real hash even for unknown users so timing does not reveal which usernames exist.
        var hash = found?.1
        if hash == nil { hash = try await hasher.dummyHash() }
        let valid = try await hasher.verify(password, hash: hash ?? "")
        guard let (user, _) = found, valid, !user.disabled else {
            let free = configuration.loginFailuresPerUsername
            try await loginFailures.recordFailure(username: username, address: address, now: now, window: window) { failures in
                Self.loginDelay(failures: failures, free: free, maximum: window)
            }
            _ = try await counters.increment(bucket: addressBucket, windowStart: start, windowLength: window)
            logger.info("login failed", metadata: ["username": .string(username)])
            throw AppError(.authInvalidCredentials)
        }
        try await loginFailures.clear(username: username, address: address)
        let session = try await sessions.create(userId: user.id, now: now, absoluteTimeout: absoluteTimeoutMillis)
        logger.info("login", metadata: ["user_id": .string(user.id)])
        return SignIn(user: user, sessionId: session.id, csrfToken: session.csrfToken)
    }

    /// Resolves a session cookie; expired or unknown sessions are AUTH_SESSION_EXPIRED.
    func principal(sessionId: String) async throws -> Principal {
        let now = clock.millis()
        let session: SessionStore.Lookup
        if let recent = recentSessions.get(sessionId, now: now) {
            session = recent
        } else {
            guard let found = try await sessions.find(id: sessionId) else {
                throw AppError(.authSessionExpired, "Session is invalid or has expired")
            }
            session = found
            recentSessions.put(sessionId, found, now: now)
        }
        if session.user.disabled || now >= session.absoluteExpiresAt || now - session.lastSeenAt >= idleTimeoutMillis {
            try await sessions.delete(idHash: session.idHash)
            forgetRecentCredentials()
            throw AppError(.authSessionExpired, "Session is invalid or has expired")
        }
        // Record activity at most every minute (or tenth of the idle timeout), not on every request.
        if now - session.lastSeenAt >= min(60_000, idleTimeoutMillis / 10) {
            try await sessions.touch(idHash: session.idHash, now: now)
            recentSessions.update(sessionId) { $0.lastSeenAt = now }
        }
        return Principal(
            userId: session.user.id, username: session.user.username, userRole: session.user.role,
            role: session.user.role, projectId: nil,
            credential: .session(id: session.idHash, csrfToken: session.csrfToken))
    }

    /// Resolves a bearer token; the token's role caps the user's.
    func principal(bearer secret: String) async throws -> Principal {
        let now = clock.millis()
        let hash = Secrets.sha256Hex(secret)
        let token: TokenStore.Lookup
        if let recent = recentTokens.get(hash, now: now), recent.expiresAt.map({ $0 > now }) ?? true {
            token = recent
        } else {
            guard let found = try await tokens.find(hash: hash, now: now) else {
                throw AppError(.authUnauthorized, "API token is invalid, expired or revoked")
            }
            token = found
            recentTokens.put(hash, found, now: now)
        }
        if now - (token.lastUsedAt ?? 0) >= 60_000 {
            try await tokens.markUsed(tokenId: token.tokenId, now: now)
            recentTokens.update(hash) { $0.lastUsedAt = now }
        }
        return Principal(
            userId: token.user.id, username: token.user.username, userRole: token.user.role,
            role: min(token.user.role, token.role), projectId: token.projectId, credential: .token(id: token.tokenId),
            tokenRole: token.role)
    }

    /// The CSRF token of the caller's session.
    func csrfToken(for principal: Principal) -> String? {
        if case .session(_, let token) = principal.credential { return token }
        return nil
    }

    public func logout(_ principal: Principal) async throws {
        if case .session(let idHash, _) = principal.credential {
            try await sessions.delete(idHash: idHash)
            forgetRecentCredentials()
        }
    }

    /// Changes the caller's own password after checking the current one; ends the user's other sessions.
    public func changePassword(_ principal: Principal, current: String, new: String) async throws {
        try Credentials.validatePassword(new, field: "newPassword")
        guard let hash = try await users.passwordHash(id: principal.userId),
            try await hasher.verify(current, hash: hash)
        else {
            throw AppError(.authInvalidCredentials, "Current password is incorrect")
        }
        let newHash = try await hasher.hash(new)
        var keep: String?
        if case .session(let idHash, _) = principal.credential { keep = idHash }
        _ = try await users.setPassword(id: principal.userId, hash: newHash, now: clock.millis(), keepSession: keep)
        forgetRecentCredentials()
        logger.info("password changed", metadata: ["user_id": .string(principal.userId)])
    }
}
