@testable import FathomKit
import Foundation
import HummingbirdTesting
import SQLKit
import Testing

/// `GET /api/v1/capacity/forecast` against fixtures whose answers were worked out by hand (today is 2026-03-31).
@Suite(.timeLimit(.minutes(10))) struct ForecastTests {
    static let mib: Int64 = 1_048_576

    /// Instances: `fill` (1 GiB) grows exactly 10 MiB a day from 500 MiB over ten days, plus a sample outside the
    /// 30-day window that must not count; `flat` (10 GiB) does not grow; `over` (1 GiB) already holds 2 GiB.
    /// Databases on `fill`: `orders` at 100, 100, 160, 160 MiB on four days (least squares: 24 MiB/day, where
    /// first-to-last would say 20), and an inactive one that is left out.
    static func seed(_ harness: Harness) async throws {
        let today = ISO8601DateFormatter().date(from: "2026-03-31T12:00:00Z")!
        harness.clock.advance(by: today.timeIntervalSince(harness.services.clock.now()))
        try await harness.services.store.write { db in
            try await db.raw(
                "INSERT INTO projects (id, name, description, quota_instances, quota_storage_gb, created_at, updated_at) VALUES ('proj-f', 'f', '', 10, 100, 0, 0)"
            ).run()
            func instance(_ name: String, storage: Int) async throws -> Int64 {
                try await InstanceStore.insert(
                    Instance(
                        instanceId: 0, id: "inst-\(name)", projectId: "proj-f", name: name, engine: "postgresql", version: "16",
                        region: "local", provider: "external", state: .RUNNING,
                        resources: Resources(cpu: 1, memory_gb: 1, storage_gb: storage), highAvailability: false, labels: [:],
                        endpoints: [], connection: nil, sealedCredential: nil, activeOperationId: nil, createdAt: 0, updatedAt: 0),
                    on: db
                ).instanceId
            }
            func total(_ id: Int64, _ day: String, _ bytes: Int64) async throws {
                try await db.raw(
                    "INSERT INTO instance_size_samples (instance_id, sample_date, total_bytes, database_count, collected_at) VALUES (\(bind: id), \(bind: day), \(bind: bytes), 1, 0)"
                ).run()
            }
            let fill = try await instance("fill", storage: 1)
            for k in 0..<10 { try await total(fill, "2026-03-\(22 + k)", (500 + 10 * Int64(k)) * mib) }
            try await total(fill, "2026-02-01", 0)
            let flat = try await instance("flat", storage: 10)
            for day in ["2026-03-29", "2026-03-30", "2026-03-31"] { try await total(flat, day, 100 * mib) }
            let over = try await instance("over", storage: 1)
            try await total(over, "2026-03-31", 2048 * mib)

            func database(_ name: String, active: Bool) async throws -> Int64 {
                try await db.raw(
                    """
                    INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, created_at, updated_at)
                    VALUES (\(bind: fill), \(bind: name), \(bind: active), '2026-03-01', '2026-03-31', 0, 0) RETURNING database_id
                    """
                ).first()!.int64("database_id")
            }
            let orders = try await database("orders", active: true)
            let gone = try await database("gone", active: false)
            for (day, size) in [("2026-03-28", 100), ("2026-03-29", 100), ("2026-03-30", 160), ("2026-03-31", 160)] as [(String, Int64)] {
                for (database, bytes) in [(orders, size * mib), (gone, size * 99 * mib)] {
                    try await db.raw(
                        "INSERT INTO database_size_samples (database_id, sample_date, size_bytes, collected_at) VALUES (\(bind: database), \(bind: day), \(bind: bytes), 0)"
                    ).run()
                }
            }
        }
    }

    @Test(arguments: Backends.all)
    func instancesSoonestToFillFirst(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await Self.seed(harness)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let response = try await client.send(.get, "/api/v1/capacity/forecast", auth: admin)
                #expect(response.status == .ok)
                let data = try #require(response.json["data"])
                #expect(data["total"] == 3)
                guard case .array(let items) = data["items"] else { Issue.record("no items"); return }
                #expect(items.map { $0["instance_name"]?.stringValue ?? "" } == ["over", "fill", "flat"])

                let over = items[0]
                #expect(over["days_to_limit"]?.number == 0)
                #expect(over["reaches_limit_on"] == "2026-03-31")
                #expect(over["growth_bytes_per_day"] == .null || over["growth_bytes_per_day"] == nil)
                #expect(over["usage_percent"]?.number == 200)

                let fill = items[1]
                #expect(fill["subject"] == "instance")
                #expect(fill["data_points"] == 10)  // the February sample is outside the window
                #expect(fill["first_date"] == "2026-03-22")
                #expect(fill["current_size_bytes"]?.intValue == 590 * Self.mib)
                #expect(fill["growth_bytes_per_day"]?.number == Double(10 * Self.mib))
                #expect(fill["growth_mb_per_day"]?.number == 10)
                #expect(fill["window_change_bytes"]?.intValue == 90 * Self.mib)
                #expect(fill["growth_rate"]?.number == 18)
                #expect(fill["trend_direction"] == "growing")
                #expect(fill["storage_limit_bytes"]?.intValue == 1024 * Self.mib)
                #expect(fill["usage_percent"]?.number == 57.62)
                #expect(fill["days_to_limit"]?.number == 43.4)  // (1024 − 590) MiB ÷ 10 MiB/day
                #expect(fill["reaches_limit_on"] == "2026-05-14")
                #expect(fill["instance"] == "inst-fill")
                #expect(fill["instance_id"]?.intValue != nil)

                let flat = items[2]
                #expect(flat["growth_bytes_per_day"]?.number == 0)
                #expect(flat["trend_direction"] == "stable")
                #expect(flat["days_to_limit"] == nil || flat["days_to_limit"] == .null)
                #expect(flat["reaches_limit_on"] == nil || flat["reaches_limit_on"] == .null)

                // A 60-day window takes in the February sample: the line is steeper.
                let wide = try await client.send(.get, "/api/v1/capacity/forecast?days=60&instance_id=\(fill["instance_id"]!.intValue!)", auth: admin)
                let wideFill = try #require(wide.json["data"]?["items"]?.arrayFirst)
                #expect(wideFill["data_points"] == 11)
                #expect((wideFill["growth_bytes_per_day"]?.number ?? 0) > Double(10 * Self.mib))
            }
        }
    }

    @Test(arguments: Backends.all)
    func databasesUseTheLeastSquaresTrendAndTheirInstancesLimit(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await Self.seed(harness)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let response = try await client.send(.get, "/api/v1/capacity/forecast?subject=databases", auth: admin)
                #expect(response.status == .ok)
                #expect(response.json["data"]?["total"] == 1)  // the inactive database is left out
                let orders = try #require(response.json["data"]?["items"]?.arrayFirst)
                #expect(orders["subject"] == "database")
                #expect(orders["database_name"] == "orders")
                #expect(orders["instance_name"] == "fill")
                #expect(orders["growth_bytes_per_day"]?.number == Double(24 * Self.mib))
                #expect(orders["days_to_limit"]?.number == 36)  // (1024 − 160) MiB ÷ 24 MiB/day
                #expect(orders["reaches_limit_on"] == "2026-05-06")
                #expect(orders["growth_rate"]?.number == 60)

                let filtered = try await client.send(.get, "/api/v1/capacity/forecast?subject=databases&database_name=nothing", auth: admin)
                #expect(filtered.json["data"]?["total"] == 0)
                let bad = try await client.send(.get, "/api/v1/capacity/forecast?subject=tables", auth: admin)
                #expect(bad.status == .badRequest)
                #expect(bad.errorCode == "CONFIG_INVALID_REQUEST")
                // Window and paging values follow the contract's rules: invalid falls back, too large is clamped.
                let clamped = try await client.send(.get, "/api/v1/capacity/forecast?days=9999&limit=999&page=x", auth: admin)
                #expect(clamped.status == .ok)
                #expect(clamped.json["data"]?["limit"] == 200)
                #expect(clamped.json["data"]?["items"]?.arrayFirst?["window_days"] == 365)
            }
        }
    }

    @Test func forecastIsInTheOpenAPIDocument() async throws {
        try await Harness.with(.sqlite) { harness in
            try await harness.test { client in
                let document = try await client.send(.get, "/api/openapi.json")
                let operation = document.json["paths"]?["/api/v1/capacity/forecast"]?["get"]
                #expect(operation != nil)
                #expect(operation?["tags"]?.arrayFirst == "capacity")
            }
        }
    }
}
