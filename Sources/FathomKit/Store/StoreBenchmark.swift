import Foundation
import SQLKit

/// The store's own cost per statement (`fathom bench store`): concurrent workers send a trivial statement, then a
/// page-shaped read (20 rows of text and integer columns, each decoded), and each part reports this process's CPU
/// time per statement, so the figure holds on a shared machine. It isolates the driver path a request pays per
/// statement — connection lease, encoding, decoding — from routing and JSON.
public enum StoreBenchmark {
    public struct Figures: Sendable {
        public var statements: Int
        public var cpuMicrosPerStatement: Double
        public var statementsPerSecond: Double
    }

    /// Runs each part for `seconds` with `workers` concurrent callers; `log` gets one line per part.
    public static func run(store: Store, workers: Int, seconds: Double, log: @Sendable (String) -> Void) async throws {
        let trivial = try await measure(workers: workers, seconds: seconds) {
            _ = try await store.read { db in try await db.raw("SELECT 1 AS one").first()?.int("one") }
        }
        log(line("SELECT 1", trivial))
        let page = try await measure(workers: workers, seconds: seconds) {
            _ = try await store.read { db in
                try await db.raw(
                    """
                    SELECT 'database-' || CAST(n AS TEXT) AS name, n AS id, n * 1000 AS size_bytes,
                           'instance-' || CAST(n % 7 AS TEXT) AS instance, CAST(NULL AS TEXT) AS note
                    FROM (\(unsafeRaw: numbers)) AS t
                    """
                ).all().map { row in
                    (try row.string("name"), try row.int64("id"), try row.int64("size_bytes"), try row.string("instance"),
                     try row.optionalString("note"))
                }
            }
        }
        log(line("20-row page, 5 columns decoded", page))
    }

    /// 1 … 20 as a derived table both backends accept.
    private static let numbers = "SELECT CAST(1 AS BIGINT) AS n " + (2...20).map { "UNION ALL SELECT \($0) " }.joined()

    private static func line(_ name: String, _ figures: Figures) -> String {
        let micros = (figures.cpuMicrosPerStatement * 10).rounded() / 10
        return "\(name): \(micros) µs CPU per statement, \(Int(figures.statementsPerSecond)) statements/s (\(figures.statements) statements)"
    }

    private static func measure(workers: Int, seconds: Double, _ statement: @escaping @Sendable () async throws -> Void) async throws -> Figures {
        // A short warm-up fills the pool and the statement caches before the clock starts.
        _ = try await loop(workers: workers, until: ContinuousClock.now + .milliseconds(500), statement)
        let cpuBefore = IngestBenchmark.processCPUSeconds()
        let started = ContinuousClock.now
        let count = try await loop(workers: workers, until: started + .milliseconds(Int(seconds * 1000)), statement)
        let elapsed = ContinuousClock.now - started
        let cpu = IngestBenchmark.processCPUSeconds() - cpuBefore
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Figures(statements: count, cpuMicrosPerStatement: cpu / Double(max(count, 1)) * 1e6, statementsPerSecond: Double(count) / wall)
    }

    private static func loop(workers: Int, until deadline: ContinuousClock.Instant, _ statement: @escaping @Sendable () async throws -> Void) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        try await statement()
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
    }
}
