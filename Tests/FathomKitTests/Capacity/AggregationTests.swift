@testable import FathomKit
import Foundation
import Hummingbird
import HummingbirdCore
import SQLKit
import Testing

@Suite(.timeLimit(.minutes(5))) struct AggregationTests {
    /// One instance with one database and the given daily samples (date → bytes).
    static func seed(_ services: AppServices, _ samples: [String: Int64]) async throws -> Int64 {
        try await services.store.write { db in
            try await db.raw(
                """
                INSERT INTO projects (id, name, description, quota_instances, quota_storage_gb, created_at, updated_at)
                VALUES ('proj-agg', 'agg', '', 10, 100, 0, 0)
                """
            ).run()
            let instance = try await InstanceStore.insert(
                Instance(
                    instanceId: 0, id: "inst-agg", projectId: "proj-agg", name: "agg", engine: "postgresql", version: "15",
                    region: "local", provider: "external", state: .RUNNING, resources: Resources(cpu: 1, memory_gb: 1, storage_gb: 1),
                    highAvailability: false, labels: [:], endpoints: [], connection: nil, sealedCredential: nil,
                    activeOperationId: nil, createdAt: 0, updatedAt: 0),
                on: db)
            let databaseId = try await db.raw(
                """
                INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, created_at, updated_at)
                VALUES (\(bind: instance.instanceId), 'shop', \(bind: true), '2026-01-01', '2026-12-31', 0, 0) RETURNING database_id
                """
            ).first()!.int64("database_id")
            for (day, bytes) in samples {
                try await Self.sample(databaseId, instance: instance.instanceId, day: day, bytes: bytes, on: db)
            }
            return databaseId
        }
    }

    static func sample(_ databaseId: Int64, instance: Int64, day: String, bytes: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "INSERT INTO database_size_samples (database_id, sample_date, size_bytes, collected_at) VALUES (\(bind: databaseId), \(bind: day), \(bind: bytes), 0)"
        ).run()
        try await db.raw(
            """
            INSERT INTO instance_size_samples (instance_id, sample_date, total_bytes, database_count, collected_at)
            VALUES (\(bind: instance), \(bind: day), \(bind: bytes * 2), 2, 0)
            """
        ).run()
        // What a collection does after writing samples: the list counts and summary edges follow.
        try await CapacityCountStore.recountSamples(instanceId: instance, on: db)
    }

    struct Row: Equatable, CustomStringConvertible {
        var start: String, end: String, avg: Int64, max: Int64, min: Int64, count: Int, first: Int64, last: Int64, previous: Int64?
        var description: String { "\(start)…\(end) avg \(avg) max \(max) min \(min) n \(count) \(first)→\(last) prev \(previous.map(String.init) ?? "-")" }
    }

    /// The rows as `/api/v1/capacity/*` reads them (neighbours included), oldest period first.
    static func rows(_ services: AppServices, _ subject: CapacityQuery.Subject, _ type: PeriodType) async throws -> [Row] {
        let query = try CapacityQuery(
            subject, query: QueryParameters(uri: URI("/?period_type=\(type.rawValue)")), today: "2026-12-31")
        let page = try await services.store.read { db in try await query.page(offset: 0, limit: 200, on: db) }
        return page.rows.reversed().map {
            Row(start: $0.periodStart, end: $0.periodEnd, avg: $0.avg, max: $0.max, min: $0.min, count: $0.count, first: $0.first,
                last: $0.last, previous: $0.previous)
        }
    }

    @Test(arguments: Backends.all)
    func weeksMonthsQuartersAgainstHandComputedFigures(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            // 2026-03-01 is a Sunday (week of 02-23); 03-02 a Monday. Days missing in between are simply absent.
            let databaseId = try await Self.seed(services, [
                "2026-02-27": 50, "2026-03-01": 80, "2026-03-02": 100, "2026-03-03": 200, "2026-03-08": 300,
                "2026-03-09": 400, "2026-03-15": 500, "2026-03-31": 700, "2026-04-01": 600,
            ])
            let aggregator = CapacityAggregator(store: services.store, clock: services.clock)
            try await aggregator.aggregateAll()

            let weeks = try await Self.rows(services, .database, .weekly)
            #expect(weeks == [
                Row(start: "2026-02-23", end: "2026-03-01", avg: 65, max: 80, min: 50, count: 2, first: 50, last: 80, previous: nil),
                Row(start: "2026-03-02", end: "2026-03-08", avg: 200, max: 300, min: 100, count: 3, first: 100, last: 300, previous: 65),
                Row(start: "2026-03-09", end: "2026-03-15", avg: 450, max: 500, min: 400, count: 2, first: 400, last: 500, previous: 200),
                Row(start: "2026-03-30", end: "2026-04-05", avg: 650, max: 700, min: 600, count: 2, first: 700, last: 600, previous: 450),
            ], "\(weeks)")
            let months = try await Self.rows(services, .database, .monthly)
            #expect(months == [
                Row(start: "2026-02-01", end: "2026-02-28", avg: 50, max: 50, min: 50, count: 1, first: 50, last: 50, previous: nil),
                Row(start: "2026-03-01", end: "2026-03-31", avg: 326, max: 700, min: 80, count: 7, first: 80, last: 700, previous: 50),
                Row(start: "2026-04-01", end: "2026-04-30", avg: 600, max: 600, min: 600, count: 1, first: 600, last: 600, previous: 326),
            ], "\(months)")
            let quarters = try await Self.rows(services, .database, .quarterly)
            #expect(quarters == [
                Row(start: "2026-01-01", end: "2026-03-31", avg: 291, max: 700, min: 50, count: 8, first: 50, last: 700, previous: nil),
                Row(start: "2026-04-01", end: "2026-06-30", avg: 600, max: 600, min: 600, count: 1, first: 600, last: 600, previous: 291),
            ], "\(quarters)")
            // Instances aggregate their daily totals the same way.
            let instanceWeeks = try await Self.rows(services, .instance, .weekly)
            #expect(instanceWeeks.map(\.avg) == [130, 400, 900, 1300])

            // A late sample re-aggregates its period, and the next period's comparison follows.
            try await services.store.write { db in
                try await Self.sample(databaseId, instance: 1, day: "2026-03-04", bytes: 1000, on: db)
            }
            try await aggregator.aggregate(.weekly, from: "2026-03-04")
            let updated = try await Self.rows(services, .database, .weekly)
            #expect(updated[0] == weeks[0])  // the week before was left alone
            #expect(updated[1].avg == 400 && updated[1].count == 4 && updated[1].previous == 65)
            #expect(updated[2].previous == 400)
        }
    }

    @Test func periodMathMatchesTheCalendar() {
        #expect(PeriodMath.start(of: "2026-03-01", .weekly) == "2026-02-23")
        #expect(PeriodMath.start(of: "2026-03-02", .weekly) == "2026-03-02")
        #expect(PeriodMath.start(of: "2026-12-31", .quarterly) == "2026-10-01")
        #expect(PeriodMath.nextStart("2025-10-01", .quarterly) == "2026-01-01")
        #expect(PeriodMath.nextStart("2026-02-23", .weekly) == "2026-03-02")
        #expect(PeriodMath.nextStart("2026-12-01", .monthly) == "2027-01-01")
        #expect(PeriodMath.dayBefore("2024-03-01") == "2024-02-29")
    }
}
