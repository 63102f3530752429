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
                #expect(monthly.json["data"]?["total_count"]?.intValue == Int64(120))
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
