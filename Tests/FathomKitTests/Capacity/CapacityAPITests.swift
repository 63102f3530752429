@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

@Suite(.timeLimit(.minutes(5))) struct CapacityAPITests {
    static let samples: [String: Int64] = [
        "2026-02-27": 50, "2026-03-01": 80, "2026-03-02": 100, "2026-03-03": 200, "2026-03-08": 300,
        "2026-03-09": 400, "2026-03-15": 500, "2026-03-31": 700, "2026-04-01": 600,
    ]

    @Test(arguments: Backends.all)
    func listsSummariesAndParameterRules(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let shop = try await AggregationTests.seed(services, Self.samples)
            // A second, steady database on the same instance.
            try await services.store.write { db in
                let other = try await db.raw(
                    """
                    INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, created_at, updated_at)
                    VALUES (1, 'logs', \(bind: true), '2026-03-01', '2026-04-01', 0, 0) RETURNING database_id
                    """
                ).first()!.int64("database_id")
                for day in ["2026-03-02", "2026-03-09", "2026-04-01"] {
                    try await db.raw("INSERT INTO database_size_samples (database_id, sample_date, size_bytes, collected_at) VALUES (\(bind: other), \(bind: day), 1000, 0)").run()
                }
            }
            try await services.aggregator.aggregateAll()
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let weekly = try await client.send(.get, "/api/v1/capacity/databases?period_type=weekly&database_id=\(shop)", auth: admin)
                #expect(weekly.status == .ok)
                #expect(weekly.json["data"]?["total"] == 4)
                guard case .array(let weeks) = weekly.json["data"]?["items"] else { Issue.record("no items"); return }
                let week = try #require(weeks.first { $0["period_start"] == "2026-03-09" })
                #expect(week["avg_size_bytes"] == 450)
                #expect(week["size_change_bytes"] == 250)
                #expect(week["size_change_percent"]?.number == 125)
                #expect(week["growth_rate"]?.number == 25)
                #expect(week["trend_direction"] == "growing")
                #expect(week["period_end"] == "2026-03-15")
                #expect(week["database_name"] == "shop")
                #expect(weeks.first?["period_start"] == "2026-03-30")  // newest first

                let daily = try await client.send(.get, "/api/v1/capacity/databases?database_id=\(shop)&start_date=2026-03-09&end_date=2026-03-09", auth: admin)
                let day = try #require(daily.json["data"]?["items"]?.arrayFirst)
                #expect(day["period_type"] == "daily")
                #expect(day["size_change_bytes"] == 100)  // vs the 300 of 2026-03-08
                #expect(day["size_change_percent"]?.number == 33.33)

                // Paging: fallback and clamps of the contract; get_all returns everything.
                let clamped = try await client.send(.get, "/api/v1/capacity/databases?limit=500&page=abc", auth: admin)
                #expect(clamped.json["data"]?["limit"] == 200 && clamped.json["data"]?["page"] == 1)
                let fallback = try await client.send(.get, "/api/v1/capacity/databases?limit=0", auth: admin)
                #expect(fallback.json["data"]?["limit"] == 20)
                let all = try await client.send(.get, "/api/v1/capacity/databases?get_all=true", auth: admin)
                #expect(all.json["data"]?["items"]?.arrayCount == 12)
                for bad in ["period_type=yearly", "start_date=2026-02-30", "start_date=2026-04-01&end_date=2026-03-01", "instance_id=x", "get_all=perhaps"] {
                    #expect(try await client.send(.get, "/api/v1/capacity/databases?\(bad)", auth: admin).status == .badRequest, "\(bad)")
                }

                // Summaries count each database once, with its latest and earliest period in range.
                let summary = try await client.send(.get, "/api/v1/capacity/databases/summary?period_type=monthly", auth: admin)
                #expect(summary.json["data"]?["summary"]?["total_count"] == 2)
                #expect(summary.json["data"]?["summary"]?["total_size_bytes"] == 1600)  // April: 600 + 1000
                #expect(summary.json["data"]?["summary"]?["first_total_size_bytes"] == 1050)  // shop's February 50 + logs' March 1000
                #expect(summary.json["data"]?["summary"]?["trend_direction"] == "growing")
                let ranged = try await client.send(.get, "/api/v1/capacity/databases/summary?start_date=2026-03-01&end_date=2026-03-31", auth: admin)
                #expect(ranged.json["data"]?["summary"]?["total_count"] == 2, "\(ranged.text)")
                #expect(ranged.json["data"]?["summary"]?["total_size_bytes"] == 1700)  // 700 on 03-31 + 1000 on 03-09

                let instances = try await client.send(.get, "/api/v1/capacity/instances?period_type=quarterly", auth: admin)
                #expect(instances.json["data"]?["total"] == 2)
                #expect(instances.json["data"]?["items"]?.arrayFirst?["database_count"] == 2)
                let recent = try await client.send(.get, "/api/v1/capacity/instances?time_range=3650", auth: admin)
                #expect(recent.json["data"]?["total"] == 9)
                let instanceSummary = try await client.send(.get, "/api/v1/capacity/instances/summary?period_type=weekly", auth: admin)
                #expect(instanceSummary.json["data"]?["summary"]?["total_count"] == 1)

                // The action: admin only, validated body, aggregates the current period.
                let current = try await client.send(.post, "/api/v1/capacity/aggregations/current", auth: admin, json: #"{"period_type":"weekly","scope":"database"}"#)
                #expect(current.status == .ok)
                #expect(current.json["data"]?["result"]?["scope"] == "database")
                #expect(try await client.send(.post, "/api/v1/capacity/aggregations/current", auth: admin, json: #"{"period_type":"hourly"}"#).status == .badRequest)
                #expect(try await client.send(.post, "/api/v1/capacity/aggregations/current", auth: admin, json: #"{"scope":"table"}"#).status == .badRequest)
                #expect(try await client.send(.post, "/api/v1/capacity/aggregations/current", auth: admin).status == .ok)
            }
        }
    }
}

extension JSONValue {
    /// Integers and decimals alike (JSON writes 125.0 as 125).
    var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }
}
