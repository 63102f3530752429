@testable import FathomKit
import Foundation
import SQLKit
import Testing

/// Increments are committed in shared batches, yet every caller gets its own place in the count.
@Suite(.timeLimit(.minutes(5))) struct RateCounterTests {
    @Test(arguments: Backends.all, [false, true])
    func concurrentIncrementsEachGetTheirOwnCount(_ backend: Store.Backend, inMemory: Bool) async throws {
        try await Harness.with(backend) { harness in
            let counters = RateCounters(store: harness.services.store, inMemory: inMemory)
            let results = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                for index in 0..<120 {
                    let bucket = index % 3 == 0 ? "r:b" : "r:a"
                    group.addTask { (bucket, try await counters.increment(bucket: bucket, windowStart: 60_000, windowLength: 60_000)) }
                }
                return try await group.reduce(into: [String: [Int]]()) { $0[$1.0, default: []].append($1.1) }
            }
            #expect(results["r:a"]?.sorted() == Array(1...80))
            #expect(results["r:b"]?.sorted() == Array(1...40))
            #expect(try await counters.count(bucket: "r:a", windowStart: 60_000) == 80)
            // Another window of the same bucket counts from one.
            #expect(try await counters.increment(bucket: "r:a", windowStart: 120_000, windowLength: 60_000) == 1)
        }
    }

    /// One batch holds several counters (one upsert for all): arrival order within each, added onto the stored count.
    @Test(arguments: Backends.all)
    func interleavedCountersInOneBatchCountInArrivalOrder(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let store = harness.services.store
            let window: Int64 = 60_000
            func item(_ bucket: String, _ start: Int64 = 120_000) -> RateCounters.Increment {
                RateCounters.Increment(bucket: bucket, windowStart: start, windowLength: window)
            }
            let first = try await RateCounters.apply(
                [item("r:a"), item("r:b"), item("r:a"), item("w:c"), item("r:a"), item("r:b"), item("r:a", 180_000)],
                store: store)
            #expect(first == [1, 1, 2, 1, 3, 2, 1])
            let second = try await RateCounters.apply([item("r:b"), item("r:a")], store: store)
            #expect(second == [3, 4])
            let counters = RateCounters(store: store, inMemory: false)
            #expect(try await counters.count(bucket: "r:a", windowStart: 120_000) == 4)
            #expect(try await counters.count(bucket: "r:a", windowStart: 180_000) == 1)
            #expect(try await counters.count(bucket: "w:c", windowStart: 120_000) == 1)
        }
    }

    /// The SQLite store keeps its counters in memory (one process serves it): nothing reaches the store file, and
    /// counters of windows that have ended are dropped once a newer window is counted, purge job or not.
    @Test func sqliteCountersStayInMemoryAndForgetEndedWindows() async throws {
        try await Harness.with(.sqlite) { harness in
            let counters = harness.services.identity.counters
            for expected in 1...3 {
                #expect(try await counters.increment(bucket: "r:a", windowStart: 60_000, windowLength: 60_000) == expected)
            }
            let stored = try await harness.services.store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM rate_counters").first()?.int("n")
            }
            #expect(stored == 0)
            #expect(try await counters.count(bucket: "r:a", windowStart: 60_000) == 3)
            // The next window starts at 120,000, when the first one expires: counting in it drops the first.
            #expect(try await counters.increment(bucket: "r:b", windowStart: 120_000, windowLength: 60_000) == 1)
            #expect(try await counters.count(bucket: "r:a", windowStart: 60_000) == 0)
            #expect(try await counters.count(bucket: "r:b", windowStart: 120_000) == 1)
            try await counters.purgeExpired(now: 180_000)
            #expect(try await counters.count(bucket: "r:b", windowStart: 120_000) == 0)
        }
    }

    /// PostgreSQL keeps the counters out of the write-ahead log (migration 20): their commits never wait for a flush.
    @Test(arguments: Backends.all.filter { $0 == .postgres })
    func postgresCountersAreUnlogged(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let persistence = try await harness.services.store.read { db in
                try await db.raw("SELECT relpersistence::text AS p FROM pg_class WHERE relname = 'rate_counters'").first()?.string("p")
            }
            #expect(persistence == "u")
            let counters = RateCounters(store: harness.services.store, inMemory: false)
            #expect(try await counters.increment(bucket: "r:x", windowStart: 60_000, windowLength: 60_000) == 1)
            #expect(try await counters.count(bucket: "r:x", windowStart: 60_000) == 1)
        }
    }
}
