@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

@Suite(.timeLimit(.minutes(5))) struct DemoSeedTests {
    @Test(arguments: Backends.all)
    func demoDataFeedsEveryEndpoint(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let result = try await DemoSeeder.seed(services: harness.services, instances: 3, databasesPerInstance: 40, days: 100)
            #expect(result.databases == 120)
            let (active, inactive, samples) = try await harness.services.store.read { db in
                let active = try await db.raw("SELECT COUNT(*) AS n FROM instance_databases WHERE is_active = \(bind: true)").first()!.int("n")
                let inactive = try await db.raw("SELECT COUNT(*) AS n FROM instance_databases WHERE is_active = \(bind: false)").first()!.int("n")
                let samples = try await db.raw("SELECT COUNT(*) AS n FROM database_size_samples").first()!.int("n")
                return (active, inactive, samples)
            }
            #expect(active + inactive == 120)
            #expect(inactive > 0)  // some databases vanished
            #expect(samples == result.samples)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let ledger = try await client.send(.get, "/api/v1/databases/ledgers?tags=env:prod", auth: admin)
                #expect(ledger.json["data"]?["total"]?.intValue ?? 0 > 0)
                let monthly = try await client.send(.get, "/api/v1/capacity/databases/summary?period_type=monthly", auth: admin)
                #expect(monthly.json["data"]?["summary"]?["total_databases"]?.intValue == Int64(120))
                let shrinking = try await client.send(.get, "/api/v1/capacity/databases?period_type=monthly&get_all=true", auth: admin)
                guard case .array(let rows) = shrinking.json["data"]?["items"] else { Issue.record("no rows"); return }
                #expect(rows.contains { $0["trend_direction"] == "shrinking" })
                #expect(rows.contains { $0["trend_direction"] == "growing" })
                let instances = try await client.send(.get, "/api/v1/capacity/instances?time_range=30", auth: admin)
                #expect(instances.json["data"]?["total"]?.intValue == Int64(3 * 31))
            }
        }
    }
}

/// Demo data stays apart from real data, and a collection tells how many of its items failed.
@Suite(.timeLimit(.minutes(5))) struct DemoIsolationTests {
    static func instance(name: String, provider: String, host: String, port: Int, credential: String?, project: String) -> Instance {
        Instance(
            instanceId: 0, id: ResourceID.make("inst"), projectId: project, name: name, engine: "postgresql", version: "15",
            region: "local", provider: provider, state: .RUNNING, resources: Resources(cpu: 1, memory_gb: 1, storage_gb: 1),
            highAvailability: false, labels: [:], endpoints: [Endpoint(host: host, port: port, role: .primary)],
            connection: ExternalConnection(host: host, port: port, database: "postgres"), sealedCredential: credential,
            activeOperationId: nil, createdAt: 0, updatedAt: 0)
    }

    @Test(arguments: Backends.all)
    func demoClearRemovesOnlyDemoRows(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            // A real instance with a tracked database, next to the demo.
            let real = try await harness.services.store.write { db in
                try await DemoStore.ensureProject("proj-real", name: "real", now: 0, on: db)
                let instance = try await InstanceStore.insert(
                    Self.instance(name: "real", provider: "external", host: "db.example", port: 5432, credential: nil, project: "proj-real"),
                    on: db)
                _ = try await DemoStore.insertDatabase(
                    instanceId: instance.instanceId, name: "orders", active: true, firstSeen: "2026-01-01", lastSeen: "2026-01-01",
                    now: 0, on: db)
                return instance
            }
            _ = try await DemoSeeder.seed(services: harness.services, instances: 2, databasesPerInstance: 3, days: 10)
            // Demo instances are visibly demo and never collected.
            #expect(try await harness.services.capacity.measurableInstances().allSatisfy { $0.provider != "demo" })
            #expect(try await DemoSeeder.clear(services: harness.services) == 2)
            let (instances, databases, samples, demoProject) = try await harness.services.store.read { db in
                (
                    try await db.raw("SELECT id FROM instances").all().map { try $0.string("id") },
                    try await db.raw("SELECT name FROM instance_databases").all().map { try $0.string("name") },
                    try await db.raw("SELECT COUNT(*) AS n FROM database_size_samples").first()!.int("n"),
                    try await db.raw("SELECT COUNT(*) AS n FROM projects WHERE id = 'proj-demo'").first()!.int("n")
                )
            }
            #expect(instances == [real.id])
            #expect(databases == ["orders"])
            #expect(samples == 0 && demoProject == 0)
            #expect(try await DemoSeeder.clear(services: harness.services) == 0)
        }
    }

    @Test(.enabled(if: TestPostgres.isAvailable || Backends.requirePostgres, "PostgreSQL server binaries not found"))
    func aCollectionWithSomeFailedInstancesEndsPartial() async throws {
        let url = try #require(URLComponents(string: try await TestPostgres.createDatabase()))
        // The shared test server may listen inside the default local-provider range, which the network policy refuses.
        try await Harness.with(.sqlite, configure: { $0.externalAllow = [CIDR("127.0.0.1/32")!]; $0.localPorts = 65_000...65_001 }) { harness in
            let credential = try harness.services.secrets.seal(
                JSONText.encode(["username": .string(url.user ?? "postgres"), "password": .string(url.password ?? "")]))
            try await harness.services.store.write { db in
                try await DemoStore.ensureProject("proj-real", name: "real", now: 0, on: db)
                for (name, port, sealed) in [("up", url.port ?? 5432, Optional(credential)), ("down", 1, Optional(credential)), ("nocred", url.port ?? 5432, nil)] {
                    _ = try await InstanceStore.insert(
                        Self.instance(name: name, provider: "external", host: "127.0.0.1", port: port, credential: sealed, project: "proj-real"),
                        on: db)
                }
            }
            let id = try await harness.services.enqueue(NewJob(kind: CapacityJobs.collect))
            let fixture = DBaaSFixture(harness)
            #expect(try await fixture.runJobs { try await harness.services.jobs.get(id)?.state.isFinished == true })
            let job = try #require(try await harness.services.jobs.get(id))
            #expect(job.state == .partial, "\(job.errorMessage ?? "") \(job.result.map { JSONText.encode($0) } ?? "")")
            #expect(job.errorMessage?.hasPrefix("2 of 3 items failed") == true, "\(job.errorMessage ?? "")")
            let failures = job.result?["failed"]?.arrayValue?.compactMap { $0["error"]?.stringValue } ?? []
            #expect(failures.contains { $0.contains("no stored credential") }, "\(failures)")
        }
    }
}
