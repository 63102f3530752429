import SQLKit

/// A bearer API token as listed (never with its secret).
public struct APIToken: Sendable, Encodable {
    public var tokenId: String
    public var userId: String
    public var name: String
    /// The first characters of the token, to recognise it.
    public var prefix: String
    public var role: Role
    public var projectId: String?
    public var createdAt: String
    public var expiresAt: String?
    public var lastUsedAt: String?
    public var revokedAt: String?
}

/// SQL for API tokens. Tokens carry 256 bits of entropy, so a SHA-256 digest is a safe stored form.
public struct TokenStore: Sendable {
    let store: Store

    static let prefix = "fth_"

    struct Lookup: Sendable {
        var tokenId: String
        var user: User
        var role: Role
        var projectId: String?
        var lastUsedAt: Int64?
        var expiresAt: Int64?
    }

    static func decode(_ row: any SQLRow) throws -> APIToken {
        APIToken(
            tokenId: try row.string("id"), userId: try row.string("user_id"), name: try row.string("name"),
            prefix: try row.string("prefix"), role: Role(rawValue: try row.string("role")) ?? .viewer,
            projectId: try row.optionalString("project_id"),
            createdAt: Timestamp.iso8601(millis: try row.int64("created_at")),
            expiresAt: try row.optionalInt64("expires_at").map(Timestamp.iso8601(millis:)),
            lastUsedAt: try row.optionalInt64("last_used_at").map(Timestamp.iso8601(millis:)),
            revokedAt: try row.optionalInt64("revoked_at").map(Timestamp.iso8601(millis:)))
    }

    static let columns = "id, user_id, name, prefix, role, project_id, created_at, expires_at, last_used_at, revoked_at"

    /// Creates a token; returns it listed and the secret, which is shown once.
    func create(userId: String, name: String, role: Role, projectId: String?, expiresAt: Int64?, now: Int64)
        async throws -> (APIToken, String)
    {
        let secret = Self.prefix + Secrets.randomToken()
        let id = "tok_" + Secrets.randomToken(bytes: 9)
        let hash = Secrets.sha256Hex(secret)
        let prefix = String(secret.prefix(12))
        let token = try await store.write { db in
            try await db.raw(
                """
                INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, role, project_id, created_at, expires_at)
                VALUES (\(bind: id), \(bind: userId), \(bind: name), \(bind: hash), \(bind: prefix),
                        \(bind: role.rawValue), \(bind: projectId), \(bind: now), \(bind: expiresAt))
                """
            ).run()
            return try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM api_tokens WHERE id = \(bind: id)")
                .first().map(Self.decode)
        }
        guard let token else { throw AppError(.internalError) }
        return (token, secret)
    }

    /// The live token for a secret's hash: not revoked, not expired, its user enabled.
    func find(hash: String, now: Int64) async throws -> Lookup? {
        try await store.read { db in
            guard let row = try await db.raw(
                """
                SELECT t.id AS token_id, t.role AS token_role, t.project_id, t.last_used_at, t.expires_at,
                       u.id, u.username, u.role, u.disabled, u.created_at, u.updated_at
                FROM api_tokens t JOIN users u ON u.id = t.user_id
                WHERE t.token_hash = \(bind: hash) AND t.revoked_at IS NULL
                  AND (t.expires_at IS NULL OR t.expires_at > \(bind: now)) AND u.disabled = \(bind: false)
                """
            ).first() else { return nil }
            return Lookup(
                tokenId: try row.string("token_id"), user: try UserStore.decode(row),
                role: Role(rawValue: try row.string("token_role")) ?? .viewer,
                projectId: try row.optionalString("project_id"), lastUsedAt: try row.optionalInt64("last_used_at"),
                expiresAt: try row.optionalInt64("expires_at"))
        }
    }

    func markUsed(tokenId: String, now: Int64) async throws {
        try await store.write(observed: false) { db in
            try await db.raw("UPDATE api_tokens SET last_used_at = \(bind: now) WHERE id = \(bind: tokenId)").run()
        }
    }

    func get(id: String) async throws -> APIToken? {
        try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM api_tokens WHERE id = \(bind: id)").first()
                .map(Self.decode)
        }
    }

    /// A user's tokens, newest first; or everyone's when `userId` is nil.
    func list(userId: String?, offset: Int, limit: Int) async throws -> (items: [APIToken], total: Int) {
        let query = OffsetPageQuery(
            columns: SQLQueryString(Self.columns), from: "api_tokens",
            filter: userId.map { "user_id = \(bind: $0)" } ?? "1 = 1", orderBy: "created_at DESC, id")
        return try await store.read { db in try await query.run(on: db, limit: limit, offset: offset, decode: Self.decode) }
    }

    /// Revokes a token; false if it does not exist.
    func revoke(id: String, now: Int64) async throws -> Bool {
        try await store.write { db in
            guard try await db.raw("SELECT id FROM api_tokens WHERE id = \(bind: id)").first() != nil else {
                return false
            }
            try await db.raw(
                "UPDATE api_tokens SET revoked_at = \(bind: now) WHERE id = \(bind: id) AND revoked_at IS NULL"
            ).run()
            return true
        }
    }

    /// Revokes every live token of a user; returns how many.
    func revokeAll(userId: String, now: Int64) async throws -> Int {
        try await store.write { db in
            let count = try await db.raw(
                "SELECT COUNT(*) AS n FROM api_tokens WHERE user_id = \(bind: userId) AND revoked_at IS NULL"
            ).first()?.int("n") ?? 0
            try await db.raw(
                "UPDATE api_tokens SET revoked_at = \(bind: now) WHERE user_id = \(bind: userId) AND revoked_at IS NULL"
            ).run()
            return count
        }
    }
}
