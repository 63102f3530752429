import Foundation

/// `fathom demo seed`: a demo project with registered instances (tagged), their databases and `days` of daily size
/// history ending today — steady growers, fast growers, a few shrinking and a few vanished databases — then the
/// aggregates, so every ledger and capacity endpoint has something true to show. Demo instances belong to the
/// `demo` provider: visibly demo, never collected or health-checked, removed by `fathom demo clear`.
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
        try await services.store.write { db in try await DemoStore.ensureProject(projectId, now: now, on: db) }
        var generator = SplitMix(seed: 20_261_121)
        var sampleCount = 0
        let environments = ["prod", "staging", "dev"]
        let teams = ["payments", "search", "identity", "analytics", "platform"]
        for index in 0..<instances {
            let instance = try await services.store.write { db in
                try await InstanceStore.insert(
                    Instance(
                        instanceId: 0, id: ResourceID.make("inst"), projectId: projectId, name: "demo-\(index + 1)",
                        engine: "postgresql", version: "15", region: ["eu-west-1", "us-east-1"][index % 2], provider: DemoProvider.name,
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
                    try await DemoStore.insertDatabase(
                        instanceId: instance.instanceId, name: "app_\(databaseIndex + 1)", active: vanishesAt >= days,
                        firstSeen: dayNames[0], lastSeen: dayNames[max(0, lastDay)], now: now, on: db)
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
                try await DemoStore.insertInstanceSamples(
                    instanceId: instance.instanceId, days: dayNames, totals: dayTotals, counts: dayCounts, now: now, on: db)
                try await DemoStore.refreshLatestSizes(instanceId: instance.instanceId, now: now, on: db)
                try await InventoryStore.refreshActiveCount(instanceId: instance.instanceId, on: db)
                try await CapacityCountStore.recountSamples(instanceId: instance.instanceId, on: db)
            }
            services.ledgerPositions.invalidate()
            sampleCount += rows.count
            progress("instance \(index + 1)/\(instances): \(databasesPerInstance) databases, \(rows.count) samples")
        }
        progress("aggregating …")
        _ = try await services.aggregator.aggregateAll()
        return Result(instances: instances, databases: instances * databasesPerInstance, samples: sampleCount)
    }

    /// `fathom demo clear`: removes the demo instances and their history, nothing else.
    public static func clear(services: AppServices) async throws -> Int {
        let removed = try await services.store.write { db in try await DemoStore.clear(on: db) }
        services.instanceEvents.changed()
        return removed
    }

    /// Multi-row inserts in large transactions: the fast way to write millions of samples on both backends.
    static func insertSamples(_ services: AppServices, rows: [(Int64, Int, Int64)], days: [String], now: Int64) async throws {
        let perStatement = 500
        let perTransaction = 50_000
        for transactionStart in stride(from: 0, to: rows.count, by: perTransaction) {
            let slice = Array(rows[transactionStart..<min(rows.count, transactionStart + perTransaction)])
            try await services.store.write { db in
                for start in stride(from: 0, to: slice.count, by: perStatement) {
                    try await DemoStore.insertDatabaseSamples(slice[start..<min(slice.count, start + perStatement)], days: days, now: now, on: db)
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
