import SQLKit

/// Fixed-window counters. On PostgreSQL they live in the store, so every replica shares the same budgets; on the
/// embedded SQLite store, which one process serves alone, in that process's memory (`MemoryRateCounters`).
public struct RateCounters: Sendable {
    let store: Store
    /// Concurrent requests share one transaction for their increments (one write per batch, not per request).
    private let increments: GroupCommit<Increment, Int>
    private let memory: MemoryRateCounters?

    struct Increment: Sendable {
        var bucket: String
        var windowStart: Int64
        var windowLength: Int64
    }

    /// `inMemory` defaults to the store's backend: memory for SQLite, the store for PostgreSQL.
    init(store: Store, inMemory: Bool? = nil) {
        self.store = store
        increments = GroupCommit { items in try await Self.apply(items, store: store) }
        memory = (inMemory ?? (store.backend == .sqlite)) ? MemoryRateCounters() : nil
    }

    /// Start of the window of `length` milliseconds that contains `now`.
    static func windowStart(now: Int64, length: Int64) -> Int64 { now - now % length }

    /// Adds one to the bucket's counter for the window; returns the count including this one.
    func increment(bucket: String, windowStart: Int64, windowLength: Int64) async throws -> Int {
        if let memory { return memory.increment(bucket: bucket, windowStart: windowStart, windowLength: windowLength) }
        return try await increments.submit(Increment(bucket: bucket, windowStart: windowStart, windowLength: windowLength))
    }

    /// One upsert for the whole batch, one row per counter; each request gets its own place in the new count, in
    /// arrival order. A single statement is atomic by itself, so on PostgreSQL it goes without BEGIN and COMMIT: one
    /// round trip per batch instead of three.
    static func apply(_ items: [Increment], store: Store) async throws -> [Int] {
        var positions: [CounterKey: [Int]] = [:]
        for (index, item) in items.enumerated() {
            positions[CounterKey(bucket: item.bucket, windowStart: item.windowStart), default: []].append(index)
        }
        // Counters in one order everywhere, so two replicas' batches never lock the same rows in opposite orders.
        let keys = positions.keys.sorted { ($0.windowStart, $0.bucket) < ($1.windowStart, $1.bucket) }
        let values: [SQLQueryString] = keys.map { key in
            let item = items[positions[key]![0]]
            return "(\(bind: item.bucket), \(bind: item.windowStart), \(bind: positions[key]!.count), \(bind: item.windowStart + item.windowLength))"
        }
        let totals = try await store.writeStatement(observed: false) { db in
            try await db.raw(
                """
                INSERT INTO rate_counters (bucket, window_start, count, expires_at)
                VALUES \(values.joined(separator: ", "))
                ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counters.count + excluded.count
                RETURNING bucket, window_start, count
                """
            ).all().map { row in
                (CounterKey(bucket: try row.string("bucket"), windowStart: try row.int64("window_start")), try row.int("count"))
            }
        }
        var counts = [Int](repeating: 0, count: items.count)
        let totalByKey = Dictionary(totals, uniquingKeysWith: { first, _ in first })
        for (key, indices) in positions {
            let total = totalByKey[key] ?? indices.count
            for (offset, index) in indices.enumerated() { counts[index] = total - indices.count + 1 + offset }
        }
        return counts
    }

    /// One counter: a bucket in one window.
    private struct CounterKey: Hashable, Sendable {
        var bucket: String
        var windowStart: Int64
    }

    func count(bucket: String, windowStart: Int64) async throws -> Int {
        if let memory { return memory.count(bucket: bucket, windowStart: windowStart) }
        return try await store.read { db in
            try await db.raw(
                "SELECT count FROM rate_counters WHERE bucket = \(bind: bucket) AND window_start = \(bind: windowStart)"
            ).first()?.int("count") ?? 0
        }
    }

    func purgeExpired(now: Int64) async throws {
        if let memory { return memory.purgeExpired(now: now) }
        try await store.write(observed: false) { db in
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
