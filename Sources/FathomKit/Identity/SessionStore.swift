import SQLKit

/// Server-side browser sessions. Only a digest of the session id is stored; the cookie holds the id.
public struct SessionStore: Sendable {
    let store: Store

    /// A session found for a cookie, with the user it belongs to.
    struct Lookup: Sendable {
        var idHash: String
        var user: User
        var csrfToken: String
        var lastSeenAt: Int64
        var absoluteExpiresAt: Int64
    }

    /// Creates a session; returns the cookie value and the CSRF token.
    func create(userId: String, now: Int64, absoluteTimeout: Int64) async throws -> (id: String, csrfToken: String) {
        let id = Secrets.randomToken()
        let csrfToken = Secrets.randomToken()
        let idHash = Secrets.sha256Hex(id)
        try await store.write { db in
            try await db.raw(
                """
                INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, absolute_expires_at)
                VALUES (\(bind: idHash), \(bind: userId), \(bind: csrfToken), \(bind: now), \(bind: now),
                        \(bind: now + absoluteTimeout))
                """
            ).run()
        }
        return (id, csrfToken)
    }

    func find(id: String) async throws -> Lookup? {
        let idHash = Secrets.sha256Hex(id)
        return try await store.read { db in
            guard let row = try await db.raw(
                """
                SELECT s.csrf_token, s.last_seen_at, s.absolute_expires_at,
                       u.id, u.username, u.role, u.disabled, u.created_at, u.updated_at
                FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.id_hash = \(bind: idHash)
                """
            ).first() else { return nil }
            return Lookup(
                idHash: idHash, user: try UserStore.decode(row), csrfToken: try row.string("csrf_token"),
                lastSeenAt: try row.int64("last_seen_at"), absoluteExpiresAt: try row.int64("absolute_expires_at"))
        }
    }

    func touch(idHash: String, now: Int64) async throws {
        try await store.write(observed: false) { db in
            try await db.raw("UPDATE sessions SET last_seen_at = \(bind: now) WHERE id_hash = \(bind: idHash)").run()
        }
    }

    func delete(idHash: String) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM sessions WHERE id_hash = \(bind: idHash)").run()
        }
    }

    /// Removes sessions that can no longer be used.
    func purgeExpired(now: Int64, idleTimeout: Int64) async throws {
        try await store.write { db in
            try await db.raw(
                """
                DELETE FROM sessions
                WHERE absolute_expires_at <= \(bind: now) OR last_seen_at <= \(bind: now - idleTimeout)
                """
            ).run()
        }
    }
}
