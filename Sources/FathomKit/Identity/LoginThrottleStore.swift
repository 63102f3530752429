import SQLKit

/// SQL for `login_failures`: failed sign-ins per (normalized username, client address).
struct LoginThrottleStore: Sendable {
    let store: Store

    /// Until when (epoch ms) this username is blocked from this address; 0 when it is not.
    func blockedUntil(username: String, address: String) async throws -> Int64 {
        try await store.read { db in
            try await db.raw(
                "SELECT blocked_until FROM login_failures WHERE username = \(bind: username) AND address = \(bind: address)"
            ).first()?.int64("blocked_until") ?? 0
        }
    }

    /// Counts a failure and sets the block `delay(failures)` decides; a streak older than `window` starts over.
    func recordFailure(
        username: String, address: String, now: Int64, window: Int64, delay: @escaping @Sendable (Int) -> Int64
    ) async throws {
        try await store.write { db in
            let row = try await db.raw(
                "SELECT failures, last_failure_at FROM login_failures WHERE username = \(bind: username) AND address = \(bind: address)"
            ).first()
            var failures = 1
            if let row, now - (try row.int64("last_failure_at")) < window { failures = try row.int("failures") + 1 }
            let blockedUntil = now + delay(failures)
            try await db.raw(
                """
                INSERT INTO login_failures (username, address, failures, last_failure_at, blocked_until)
                VALUES (\(bind: username), \(bind: address), \(bind: failures), \(bind: now), \(bind: blockedUntil))
                ON CONFLICT (username, address) DO UPDATE SET failures = excluded.failures,
                    last_failure_at = excluded.last_failure_at, blocked_until = excluded.blocked_until
                """
            ).run()
        }
    }

    /// Forgets the failures of one username from one address (a successful sign-in there).
    func clear(username: String, address: String) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM login_failures WHERE username = \(bind: username) AND address = \(bind: address)").run()
        }
    }

    /// Forgets every failure of a username (`fathom users unlock`, the admin API); returns how many addresses.
    func clearAll(username: String) async throws -> Int {
        try await store.write { db in
            let count = try await db.raw("SELECT COUNT(*) AS n FROM login_failures WHERE username = \(bind: username)")
                .first()?.int("n") ?? 0
            try await db.raw("DELETE FROM login_failures WHERE username = \(bind: username)").run()
            return count
        }
    }

    /// Removes streaks idle longer than `window`.
    func purge(before cutoff: Int64) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM login_failures WHERE last_failure_at < \(bind: cutoff) AND blocked_until < \(bind: cutoff)").run()
        }
    }
}
