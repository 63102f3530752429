import SQLKit

/// SQL for users.
public struct UserStore: Sendable {
    let store: Store

    static let columns = "id, username, role, disabled, created_at, updated_at"

    static func decode(_ row: any SQLRow) throws -> User {
        User(
            id: try row.string("id"), username: try row.string("username"),
            role: Role(rawValue: try row.string("role")) ?? .viewer, disabled: try row.bool("disabled"),
            createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"))
    }

    public func insert(_ user: User, passwordHash: String) async throws {
        try await store.write { db in
            try await db.raw(
                """
                INSERT INTO users (id, username, password_hash, role, disabled, created_at, updated_at)
                VALUES (\(bind: user.id), \(bind: user.username), \(bind: passwordHash), \(bind: user.role.rawValue),
                        \(bind: user.disabled), \(bind: user.createdAt), \(bind: user.updatedAt))
                """
            ).run()
        }
    }

    public func find(id: String) async throws -> User? {
        try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM users WHERE id = \(bind: id)").first()
                .map(Self.decode)
        }
    }

    public func find(username: String) async throws -> User? {
        try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM users WHERE username = \(bind: username)")
                .first().map(Self.decode)
        }
    }

    /// The user and stored bcrypt hash, for sign-in.
    func credentials(username: String) async throws -> (User, String)? {
        try await store.read { db in
            guard let row = try await db.raw(
                "SELECT \(unsafeRaw: Self.columns), password_hash FROM users WHERE username = \(bind: username)"
            ).first() else { return nil }
            return (try Self.decode(row), try row.string("password_hash"))
        }
    }

    func passwordHash(id: String) async throws -> String? {
        try await store.read { db in
            try await db.raw("SELECT password_hash FROM users WHERE id = \(bind: id)").first()?
                .string("password_hash")
        }
    }

    public func count() async throws -> Int {
        try await store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM users").first()?.int("n") ?? 0
        }
    }

    public func list(offset: Int, limit: Int) async throws -> [User] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.columns) FROM users ORDER BY username
                LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all().map(Self.decode)
        }
    }

    /// Replaces the password hash and ends the user's sessions except `keepSession`, in one transaction.
    public func setPassword(id: String, hash: String, now: Int64, keepSession: String? = nil) async throws -> Bool {
        try await store.write { db in
            guard try await db.raw("SELECT id FROM users WHERE id = \(bind: id)").first() != nil else { return false }
            try await db.raw(
                "UPDATE users SET password_hash = \(bind: hash), updated_at = \(bind: now) WHERE id = \(bind: id)"
            ).run()
            try await db.raw(
                "DELETE FROM sessions WHERE user_id = \(bind: id) AND id_hash <> \(bind: keepSession ?? "")"
            ).run()
            return true
        }
    }

    /// Sets role and/or disabled; disabling also ends every session and token of the user in the same transaction.
    public func update(id: String, role: Role?, disabled: Bool?, now: Int64) async throws -> User? {
        try await store.write { db in
            guard try await db.raw("SELECT id FROM users WHERE id = \(bind: id)").first() != nil else { return nil }
            if let role {
                try await db.raw("UPDATE users SET role = \(bind: role.rawValue) WHERE id = \(bind: id)").run()
            }
            if let disabled {
                try await db.raw("UPDATE users SET disabled = \(bind: disabled) WHERE id = \(bind: id)").run()
            }
            if disabled == true {
                try await db.raw("DELETE FROM sessions WHERE user_id = \(bind: id)").run()
                try await db.raw(
                    "UPDATE api_tokens SET revoked_at = \(bind: now) WHERE user_id = \(bind: id) AND revoked_at IS NULL"
                ).run()
            }
            try await db.raw("UPDATE users SET updated_at = \(bind: now) WHERE id = \(bind: id)").run()
            return try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM users WHERE id = \(bind: id)").first()
                .map(Self.decode)
        }
    }
}
