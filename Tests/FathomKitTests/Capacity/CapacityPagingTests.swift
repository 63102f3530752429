@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Issue 12: capacity pages come from an index walk and their totals from maintained counts; both must equal what
/// plain SQL over the tables says, for every page size and filter, also after a collection changes the rows.
@Suite(.timeLimit(.minutes(5))) struct CapacityPagingTests {
    struct Listing: Equatable, CustomStringConvertible {
        var keys: [String]
        var total: Int
        var description: String { "\(total) rows: \(keys.prefix(5))…" }
    }

    @Test(arguments: Backends.all)
    func pagesAndTotalsEqualPlainSQL(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 3, databasesPerInstance: 4, days: 24)
            let instanceIds = try await harness.services.store.read { db in
                try await db.raw("SELECT instance_id FROM instances ORDER BY instance_id").all().map { try $0.int64("instance_id") }
            }
            let last = try await harness.services.store.read { db in
                try await db.raw("SELECT MAX(sample_date) AS d FROM database_size_samples").first()!.string("d")
            }
            let rangeStart = PeriodMath.text(PeriodMath.utc.date(byAdding: .day, value: -15, to: PeriodMath.date(last))!)
            let rangeEnd = PeriodMath.text(PeriodMath.utc.date(byAdding: .day, value: -5, to: PeriodMath.date(last))!)
            let filters: [(query: String, sql: SQLQueryString)] = [
                ("", "1 = 1"),
                ("instance_id=\(instanceIds[1])", "instance_id = \(bind: instanceIds[1])"),
                ("start_date=\(rangeStart)&end_date=\(rangeEnd)", "r_end >= \(bind: rangeStart) AND r_start <= \(bind: rangeEnd)"),
            ]

            func compare(round: String) async throws {
                try await harness.test { client in
                    let admin = Auth.session(try await client.adminSession())
                    for subject in ["databases", "instances"] {
                        for period in ["daily", "weekly"] {
                            for filter in filters {
                                let expected = try await Self.plainSQL(subject, period, filter.sql, harness.services.store)
                                for size in [13, 200] {
                                    let got = try await Self.walk(client, admin, "/api/v1/capacity/\(subject)?period_type=\(period)&\(filter.query)", size: size, subject: subject)
                                    #expect(got == expected, "\(round) \(subject) \(period) [\(filter.query)] limit \(size)")
                                }
                            }
                        }
                    }
                    // Summaries without a date range read the maintained edges; with an all-covering range they are
                    // computed from the rows: the two must agree.
                    for subject in ["databases", "instances"] {
                        for period in ["daily", "weekly", "monthly"] {
                            for filter in ["", "&instance_id=\(instanceIds[2])"] {
                                let path = "/api/v1/capacity/\(subject)/summary?period_type=\(period)\(filter)"
                                let kept = try await client.send(.get, path, auth: admin).json["data"]?["summary"]
                                let counted = try await client.send(.get, path + "&start_date=1900-01-01&end_date=2999-12-31", auth: admin)
                                    .json["data"]?["summary"]
                                #expect(kept != nil && kept == counted, "\(round) \(path): \(String(describing: kept)) vs \(String(describing: counted))")
                            }
                        }
                    }
                    // A database filter is counted, not summed: same rule.
                    let named = try await Self.plainSQL("databases", "daily", "LOWER(db_name) LIKE '%app_1%'", harness.services.store)
                    let got = try await Self.walk(client, admin, "/api/v1/capacity/databases?database_name=app_1", size: 20, subject: "databases")
                    #expect(got == named, "\(round) database_name")
                }
            }
            try await compare(round: "seeded")

            // A collection: one database goes away, a new one appears, today's samples are written.
            let instance = instanceIds[0]
            let names = try await harness.services.store.read { db in
                try await db.raw("SELECT name FROM instance_databases WHERE instance_id = \(bind: instance) AND is_active = \(bind: true) ORDER BY name")
                    .all().map { try $0.string("name") }
            }
            let next = PeriodMath.text(PeriodMath.utc.date(byAdding: .day, value: 1, to: PeriodMath.date(last))!)
            let seen = names.dropFirst().map { PostgresCatalog.DatabaseSize(name: $0, bytes: 9_000_000) }
                + [PostgresCatalog.DatabaseSize(name: "added_later", bytes: 1_000_000)]
            try await harness.services.store.write { db in
                try await InventoryStore.record(instanceId: instance, databases: seen, day: next, now: harness.services.clock.millis(), on: db)
            }
            try await compare(round: "after a collection")
            _ = try await harness.services.aggregator.aggregateAll()
            try await compare(round: "after aggregation")
        }
    }

    /// Every page of a list, in order, as "period|subject" keys, with the total the first page reported.
    static func walk(_ client: some TestClientProtocol, _ auth: Auth, _ path: String, size: Int, subject: String) async throws -> Listing {
        var keys: [String] = []
        var total = -1
        var page = 1
        while true {
            let response = try await client.send(.get, path + "&page=\(page)&limit=\(size)", auth: auth)
            guard response.status == .ok, case .array(let items)? = response.json["data"]?["items"] else {
                throw HarnessError("\(path): \(response.status) \(response.text)")
            }
            if total < 0 { total = response.json["data"]?["total"]?.intValue.map(Int.init) ?? -2 }
            let idField = subject == "databases" ? "database_id" : "instance_id"
            keys += items.map { "\($0["period_start"]?.stringValue ?? "?")|\($0[idField]?.intValue ?? -1)" }
            if items.count < size { break }
            page += 1
        }
        // Past the last page: no rows, the same total.
        let beyond = try await client.send(.get, path + "&page=\(page + 1)&limit=\(size)", auth: auth)
        if beyond.json["data"]?["total"]?.intValue.map(Int.init) != total { total = -3 }
        return Listing(keys: keys, total: total)
    }

    /// The same list straight from the tables: newest period first, then the subject's id, newest first.
    static func plainSQL(_ subject: String, _ period: String, _ filter: SQLQueryString, _ store: Store) async throws -> Listing {
        let rows: SQLQueryString
        switch (subject, period) {
        case ("databases", "daily"):
            rows = """
                SELECT s.sample_date AS r_start, s.sample_date AS r_end, s.database_id AS owner, i.instance_id, d.name AS db_name FROM database_size_samples s
                JOIN instance_databases d ON d.database_id = s.database_id JOIN instances i ON i.instance_id = d.instance_id
                """
        case ("databases", _):
            rows = """
                SELECT a.period_start AS r_start, a.period_end AS r_end, a.database_id AS owner, i.instance_id, d.name AS db_name FROM database_aggregations a
                JOIN instance_databases d ON d.database_id = a.database_id JOIN instances i ON i.instance_id = d.instance_id
                WHERE a.period_type = \(bind: period)
                """
        case (_, "daily"):
            rows = """
                SELECT s.sample_date AS r_start, s.sample_date AS r_end, s.instance_id AS owner, i.instance_id FROM instance_size_samples s
                JOIN instances i ON i.instance_id = s.instance_id
                """
        default:
            rows = """
                SELECT a.period_start AS r_start, a.period_end AS r_end, a.instance_id AS owner, i.instance_id FROM instance_aggregations a
                JOIN instances i ON i.instance_id = a.instance_id WHERE a.period_type = \(bind: period)
                """
        }
        let keys = try await store.read { db in
            try await db.raw(
                """
                SELECT r_start, owner FROM (\(rows)) x WHERE \(filter) ORDER BY r_start DESC, owner DESC
                """
            ).all().map { "\(try $0.string("r_start"))|\(try $0.int64("owner"))" }
        }
        return Listing(keys: keys, total: keys.count)
    }
}
