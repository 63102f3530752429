/// Migration 9 (issue 23): login throttling per (username, address), task runs owned by a project, and no stored
/// replay left in plain text.
enum SecuritySchema {
    static func statements(_ types: ColumnTypes) -> [String] {
        [
            // Failures of one username from one address: growing delays there, nothing for other addresses.
            """
            CREATE TABLE login_failures (
                username TEXT NOT NULL,
                address TEXT NOT NULL,
                failures INTEGER NOT NULL,
                last_failure_at BIGINT NOT NULL,
                blocked_until BIGINT NOT NULL,
                PRIMARY KEY (username, address))
            """,
            "CREATE INDEX login_failures_last ON login_failures (last_failure_at)",
            "ALTER TABLE jobs ADD COLUMN project_id TEXT",
            "CREATE INDEX jobs_project ON jobs (project_id, id) WHERE project_id IS NOT NULL",
            // Answers stored before replies were sealed may hold one-time passwords in plain text; they are only a
            // 24-hour retry cache, so they go (a retry with such a key runs again).
            "DELETE FROM idempotency_keys",
        ]
    }
}
