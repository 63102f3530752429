@testable import FathomKit
import Synchronization
import Testing

/// TTL, LRU, the memory cap and exact statistics.
@Suite(.timeLimit(.minutes(10))) struct BoundedCacheTests {
    final class Time: Sendable {
        let value = Mutex<Int64>(0)
        func advance(_ millis: Int64) { value.withLock { $0 += millis } }
        var now: Int64 { value.withLock { $0 } }
    }

    @Test func hitsMissesEvictionsAndExpiry() {
        let time = Time()
        let cache = BoundedCache(limits: .init(maxEntries: 3, maxBytes: 1 << 20, ttlMillis: 1000), now: { time.now })
        #expect(cache.get("ns", "a", as: Int.self) == nil)
        cache.set("ns", "a", 1, bytes: 8)
        cache.set("ns", "b", 2, bytes: 8)
        cache.set("ns", "c", 3, bytes: 8)
        #expect(cache.get("ns", "a", as: Int.self) == 1)  // a is now the most recent
        cache.set("ns", "d", 4, bytes: 8)  // evicts b, the least recent
        #expect(cache.get("ns", "b", as: Int.self) == nil)
        #expect(cache.get("ns", "c", as: Int.self) == 3)
        var stats = cache.stats()["ns"]!
        #expect(stats.hits == 2 && stats.misses == 2 && stats.evictions == 1 && stats.entries == 3)
        time.advance(1001)
        #expect(cache.get("ns", "a", as: Int.self) == nil)
        stats = cache.stats()["ns"]!
        #expect(stats.expirations == 1 && stats.entries == 2 && stats.misses == 3)
        #expect(cache.peek("ns", "d", as: Int.self) == nil)  // expired too, and peeking counts nothing
        #expect(cache.stats()["ns"]!.misses == 3)
    }

    @Test func theMemoryCapEvictsByRecency() {
        let cache = BoundedCache(limits: .init(maxEntries: 100, maxBytes: 1000, ttlMillis: 60_000), now: { 0 })
        for n in 0..<10 { cache.set("ns", "k\(n)", n, bytes: 200) }
        #expect(cache.totalBytes <= 1000)
        #expect(cache.get("ns", "k9", as: Int.self) == 9)
        #expect(cache.get("ns", "k0", as: Int.self) == nil)
        #expect(cache.stats()["ns"]!.evictions >= 6)
        cache.set("ns", "huge", 0, bytes: 5000)  // larger than the cap: not cached at all
        #expect(cache.peek("ns", "huge", as: Int.self) == nil)
        #expect(cache.remove("ns") { $0.hasPrefix("k") } == cache.stats()["ns"]!.invalidations)
        #expect(cache.totalBytes == 0)
    }
}
