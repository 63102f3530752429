/// Tables of users, browser sessions and API tokens.
enum IdentitySchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL,
                disabled \(types.bool) NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE sessions (
                id_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                absolute_expires_at BIGINT NOT NULL)
            """,
            "CREATE INDEX sessions_user_id ON sessions (user_id)",
            "CREATE INDEX sessions_absolute_expires_at ON sessions (absolute_expires_at)",
            """
            CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                prefix TEXT NOT NULL,
                role TEXT NOT NULL,
                project_id TEXT,
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                last_used_at BIGINT,
                revoked_at BIGINT)
            """,
            "CREATE INDEX api_tokens_user_id ON api_tokens (user_id)",
        ]
    }
}
