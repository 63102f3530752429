import SQLKit

/// SQL for `idempotency_keys`. Stored bodies are sealed with the master key: a replayed response may carry a
/// one-time secret (a generated database password), and the store's files must never show it in plain text.
struct IdempotencyStore: Sendable {
    let store: Store
    let secrets: SecretBox

    /// What holds a key: its request fingerprint, whether it is finished, and the stored answer.
    struct Record {
        var fingerprint: String
        var done: Bool
        var status: Int
        var body: String
    }

    /// The live record of `owner`'s key, if any.
    func find(owner: String, key: String, now: Int64) async throws -> Record? {
        let row = try await store.read { db in
            try await db.raw(
                "SELECT fingerprint, state, status, body, expires_at FROM idempotency_keys WHERE principal = \(bind: owner) AND key = \(bind: key)"
            ).first().map { row -> (String, String, Int?, String?, Int64) in
                (try row.string("fingerprint"), try row.string("state"), try row.optionalInt64("status").map { Int($0) },
                 try row.optionalString("body"), try row.int64("expires_at"))
            }
        }
        guard let (fingerprint, state, status, sealed, expiresAt) = row, expiresAt > now else { return nil }
        let body = try sealed.map { try secrets.open($0) } ?? ""
        return Record(fingerprint: fingerprint, done: state == "done", status: status ?? 0, body: body)
    }

    /// Takes a free (or expired) key; a concurrent duplicate inserting first makes this a unique violation.
    func claim(owner: String, key: String, fingerprint: String, now: Int64, lifetime: Int64) async throws {
        try await store.write { db in
            try await db.raw(
                "DELETE FROM idempotency_keys WHERE principal = \(bind: owner) AND key = \(bind: key) AND expires_at <= \(bind: now)"
            ).run()
            try await db.raw(
                """
                INSERT INTO idempotency_keys (principal, key, fingerprint, state, created_at, expires_at)
                VALUES (\(bind: owner), \(bind: key), \(bind: fingerprint), 'in_flight', \(bind: now), \(bind: now + lifetime))
                """
            ).run()
        }
    }

    /// Remembers the answer, sealed.
    func finish(owner: String, key: String, status: Int, body: String) async throws {
        let sealed = try secrets.seal(body)
        try await store.write { db in
            try await db.raw(
                """
                UPDATE idempotency_keys SET state = 'done', status = \(bind: status), body = \(bind: sealed)
                WHERE principal = \(bind: owner) AND key = \(bind: key)
                """
            ).run()
        }
    }

    /// Frees the key (the request failed with a server error and may be retried).
    func release(owner: String, key: String) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM idempotency_keys WHERE principal = \(bind: owner) AND key = \(bind: key)").run()
        }
    }
}
