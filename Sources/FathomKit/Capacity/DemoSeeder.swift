import Foundation
import SQLKit

/// `fathom demo seed`: a demo project with registered instances (tagged), their databases and `days` of daily size
/// history ending today — steady growers, fast growers, a few shrinking and a few vanished databases — then the
/// aggregates, so every ledger and capacity endpoint has something true to show.
public enum DemoSeeder {
    public struct Result: Sendable {
        public var instances: Int
        public var databases: Int
        public var samples: Int
    }

    public static func seed(
        services: AppServices, instances: Int, databasesPerInstance: Int, days: Int,
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> Result {
        let now = services.clock.millis()
        let today = PeriodMath.date(BusinessCalendar(identifier: services.configuration.timezone).day(services.clock.now()))
        let dayNames = (0..<days).map { PeriodMath.text(PeriodMath.utc.date(byAdding: .day, value: $0 - days + 1, to: today)!) }
        let projectId = "proj-demo"
        try await services.store.write { db in
            try await db.raw(
                """
                INSERT INTO projects (id, name, description, quota_instances, quota_storage_gb, created_at, updated_at)
                VALUES (\(bind: projectId), 'demo', 'Seeded by fathom demo seed', 100000, 100000000, \(bind: now), \(bind: now))
                ON CONFLICT (id) DO NOTHING
                """
            ).run()
        }
        var generator = SplitMix(seed: 20_261_121)
        var sampleCount = 0
        let environments = ["prod", "staging", "dev"]
        let teams = ["payments", "search", "identity", "analytics", "platform"]
        for index in 0..<instances {
            let instance = try await services.store.write { db in
                try await InstanceStore.insert(
                    Instance(
                        instanceId: 0, id: ResourceID.make("inst"), projectId: projectId, name: "demo-\(index + 1)",
                        engine: "postgresql", version: "15", region: ["eu-west-1", "us-east-1"][index % 2], provider: "external",
                        state: .RUNNING, resources: Resources(cpu: 4, memory_gb: 16, storage_gb: 500), highAvailability: false,
                        labels: ["env": environments[index % 3], "team": teams[index % teams.count]],
                        endpoints: [Endpoint(host: "demo-\(index + 1).db.internal", port: 5432, role: .primary)],
                        connection: ExternalConnection(host: "demo-\(index + 1).db.internal", port: 5432, database: "postgres"),
                        sealedCredential: nil, activeOperationId: nil, createdAt: now, updatedAt: now),
                    on: db)
            }
            var totals = [Int64](repeating: 0, count: days)
            var counts = [Int](repeating: 0, count: days)
            var rows: [(Int64, Int, Int64)] = []  // (database_id, day index, bytes)
            for databaseIndex in 0..<databasesPerInstance {
                let kind = generator.next() % 100
                // Growth per day: most grow slowly, some fast, ~5 % shrink; ~5 % vanish part-way through.
                let rate = kind < 5 ? -0.002 : kind < 20 ? 0.01 : 0.002
                let vanishesAt = kind >= 95 ? days / 2 + Int(generator.next() % UInt64(max(1, days / 2))) : days
                let base = Double(50 + generator.next() % 5000) * 1_048_576
                let lastDay = min(vanishesAt, days) - 1
                let databaseId = try await services.store.write { db in
                    try await db.raw(
                        """
                        INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, deleted_at,
                                                        created_at, updated_at)
                        VALUES (\(bind: instance.instanceId), \(bind: "app_\(databaseIndex + 1)"), \(bind: vanishesAt >= days),
                                \(bind: dayNames[0]), \(bind: dayNames[max(0, lastDay)]), \(bind: vanishesAt >= days ? nil : now),
                                \(bind: now), \(bind: now))
                        RETURNING database_id
                        """
                    ).first()!.int64("database_id")
                }
                var size = base
                for day in 0...max(0, lastDay) {
                    size = max(1_048_576, size * (1 + rate + (Double(generator.next() % 1000) / 1000 - 0.5) * 0.002))
                    let bytes = Int64(size)
                    rows.append((databaseId, day, bytes))
                    totals[day] += bytes
                    counts[day] += 1
                }
            }
            try await insertSamples(services, rows: rows, days: dayNames, now: now)
            let dayTotals = totals
            let dayCounts = counts
            try await services.store.write { db in
                for chunk in stride(from: 0, to: days, by: 400) {
                    let range = chunk..<min(days, chunk + 400)
                    var sql: SQLQueryString = "INSERT INTO instance_size_samples (instance_id, sample_date, total_bytes, database_count, collected_at) VALUES "
                    sql += range.map { day -> SQLQueryString in
                        "(\(bind: instance.instanceId), \(bind: dayNames[day]), \(bind: dayTotals[day]), \(bind: dayCounts[day]), \(bind: now))"
                    }.joined(separator: ", ")
                    try await db.raw(sql).run()
                }
                // The latest size of each database that is still there.
                try await db.raw(
                    """
                    UPDATE instance_databases SET latest_collected_at = \(bind: now), latest_size_bytes = (
                        SELECT s.size_bytes FROM database_size_samples s WHERE s.database_id = instance_databases.database_id
                        ORDER BY s.sample_date DESC LIMIT 1)
                    WHERE instance_id = \(bind: instance.instanceId)
                    """
                ).run()
                try await InventoryStore.refreshActiveCount(instanceId: instance.instanceId, on: db)
            }
            services.ledgerPositions.invalidate()
            sampleCount += rows.count
            progress("instance \(index + 1)/\(instances): \(databasesPerInstance) databases, \(rows.count) samples")
        }
        progress("aggregating …")
        _ = try await services.aggregator.aggregateAll()
        return Result(instances: instances, databases: instances * databasesPerInstance, samples: sampleCount)
    }

    /// Multi-row inserts in large transactions: the fast way to write millions of samples on both backends.
    static func insertSamples(_ services: AppServices, rows: [(Int64, Int, Int64)], days: [String], now: Int64) async throws {
        let perStatement = 500
        let perTransaction = 50_000
        for transactionStart in stride(from: 0, to: rows.count, by: perTransaction) {
            let slice = Array(rows[transactionStart..<min(rows.count, transactionStart + perTransaction)])
            try await services.store.write { db in
                for start in stride(from: 0, to: slice.count, by: perStatement) {
                    var sql: SQLQueryString = "INSERT INTO database_size_samples (database_id, sample_date, size_bytes, data_bytes, collected_at) VALUES "
                    sql += slice[start..<min(slice.count, start + perStatement)].map { row -> SQLQueryString in
                        "(\(bind: row.0), \(bind: days[row.1]), \(bind: row.2), \(bind: row.2), \(bind: now))"
                    }.joined(separator: ", ")
                    try await db.raw(sql).run()
                }
            }
        }
    }
}

/// A small deterministic random generator, so demo data is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
