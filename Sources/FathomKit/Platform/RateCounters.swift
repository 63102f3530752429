import SQLKit

/// Fixed-window counters in the store, so every replica on one PostgreSQL shares the same budgets.
public struct RateCounters: Sendable {
    let store: Store

    /// Start of the window of `length` milliseconds that contains `now`.
    static func windowStart(now: Int64, length: Int64) -> Int64 { now - now % length }

    /// Adds one to the bucket's counter for the window; returns the count including this one.
    func increment(bucket: String, windowStart: Int64, windowLength: Int64) async throws -> Int {
        try await store.write { db in
            try await db.raw(
                """
                INSERT INTO rate_counters (bucket, window_start, count, expires_at)
                VALUES (\(bind: bucket), \(bind: windowStart), 1, \(bind: windowStart + windowLength))
                ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counters.count + 1
                RETURNING count
                """
            ).first()?.int("count") ?? 1
        }
    }

    func count(bucket: String, windowStart: Int64) async throws -> Int {
        try await store.read { db in
            try await db.raw(
                "SELECT count FROM rate_counters WHERE bucket = \(bind: bucket) AND window_start = \(bind: windowStart)"
            ).first()?.int("count") ?? 0
        }
    }

    func reset(bucket: String, windowStart: Int64) async throws {
        try await store.write { db in
            try await db.raw(
                "DELETE FROM rate_counters WHERE bucket = \(bind: bucket) AND window_start = \(bind: windowStart)"
            ).run()
        }
    }

    func purgeExpired(now: Int64) async throws {
        try await store.write { db in
            try await db.raw("DELETE FROM rate_counters WHERE expires_at <= \(bind: now)").run()
        }
    }
}

/// Per-principal request budgets: reads and writes per minute.
public struct RateLimiter: Sendable {
    public struct Decision: Sendable {
        public var limit: Int
        public var remaining: Int
        /// Seconds until the window resets.
        public var resetSeconds: Int
        public var allowed: Bool
    }

    let counters: RateCounters
    let clock: WallClock
    let readLimit: Int
    let writeLimit: Int
    static let window: Int64 = 60_000

    public func consume(key: String, isWrite: Bool) async throws -> Decision {
        let now = clock.millis()
        let start = RateCounters.windowStart(now: now, length: Self.window)
        let limit = isWrite ? writeLimit : readLimit
        let count = try await counters.increment(
            bucket: (isWrite ? "w:" : "r:") + key, windowStart: start, windowLength: Self.window)
        let reset = Int((start + Self.window - now + 999) / 1000)
        return Decision(limit: limit, remaining: max(0, limit - count), resetSeconds: max(1, reset), allowed: count <= limit)
    }
}
