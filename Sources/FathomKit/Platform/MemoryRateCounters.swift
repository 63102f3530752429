import Synchronization

/// Rate counters in this process's memory, for the embedded SQLite store. Only one process serves a SQLite store
/// (the data directory lock), so nothing needs to share them; in the store file every batch of increments would
/// change the WAL, and each reader connection would then drop its page cache and memory map before its next read
/// (a fifth of an asset detail's CPU under load). They start from zero when the process restarts, like a new window.
final class MemoryRateCounters: Sendable {
    private struct Key: Hashable {
        var bucket: String
        var windowStart: Int64
    }

    private struct Counter {
        var count: Int
        var expiresAt: Int64
    }

    private struct Table {
        var counters: [Key: Counter] = [:]
        /// Expired counters are dropped when a newer window than this one is first seen, so a process that never runs
        /// the purge job (`--role api`) still holds only current windows.
        var newestWindow: Int64 = .min
    }

    private let table = Mutex(Table())

    /// Adds one to the bucket's counter for the window; returns the count including this one.
    func increment(bucket: String, windowStart: Int64, windowLength: Int64) -> Int {
        table.withLock { table in
            if windowStart > table.newestWindow {
                table.newestWindow = windowStart
                table.counters = table.counters.filter { $0.value.expiresAt > windowStart }
            }
            let key = Key(bucket: bucket, windowStart: windowStart)
            var counter = table.counters[key] ?? Counter(count: 0, expiresAt: windowStart + windowLength)
            counter.count += 1
            table.counters[key] = counter
            return counter.count
        }
    }

    func count(bucket: String, windowStart: Int64) -> Int {
        table.withLock { $0.counters[Key(bucket: bucket, windowStart: windowStart)]?.count ?? 0 }
    }

    func purgeExpired(now: Int64) {
        table.withLock { table in table.counters = table.counters.filter { $0.value.expiresAt > now } }
    }
}
