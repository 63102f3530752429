@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Answers of the cached read routes are kept only while nothing could have changed them: no write here, the same
/// second, the same principal and scope. Each answer still gets its own `meta`.
@Suite(.timeLimit(.minutes(5))) struct ResponseCacheTests {
    static let ledger = "/api/v1/databases/ledgers?page=1&limit=5"

    /// `fathom_response_cache_total` per result, from the metrics page.
    static func counts(_ services: AppServices) async -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in await services.metrics.render().split(separator: "\n") where line.hasPrefix("fathom_response_cache_total{") {
            guard let result = line.split(separator: "\"").dropFirst().first, let value = line.split(separator: " ").last else { continue }
            counts[String(result)] = Int(Double(value) ?? -1)
        }
        return counts
    }

    static func names(_ response: TestResponse) -> [String] {
        guard case .array(let items)? = response.json["data"]?["items"] else { return [] }
        return items.compactMap { $0["database_name"]?.stringValue }
    }

    @Test(arguments: Backends.all)
    func keptUntilAWriteOrTheNextSecond(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 2, databasesPerInstance: 3, days: 5)
            let store = harness.services.store
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let first = try await client.send(.get, Self.ledger, auth: admin)
                let second = try await client.send(.get, Self.ledger, auth: admin)
                #expect(first.status == .ok && second.status == .ok)
                #expect(first.json["data"] == second.json["data"])
                #expect(first.json["meta"]?["requestId"] != second.json["meta"]?["requestId"])
                #expect(second.json["meta"]?["requestId"]?.stringValue == second.headers[.requestId])
                #expect(second.headers[.contentType] == first.headers[.contentType])
                #expect(await Self.counts(harness.services) == ["miss": 1, "hit": 1])

                // A write through the store (no API call) is seen by the next answer.
                let name = try #require(Self.names(first).first)
                try await store.write { db in
                    try await db.raw("UPDATE instance_databases SET name = 'renamed_db' WHERE name = \(bind: name)").run()
                }
                let names = Self.names(try await client.send(.get, Self.ledger, auth: admin))
                #expect(names.contains("renamed_db") && !names.contains(name), "\(names)")
                #expect(await Self.counts(harness.services)["miss"] == 2)

                // Bookkeeping writes (a session's activity, rate counters) keep what is kept.
                try await store.write(observed: false) { db in try await db.raw("UPDATE sessions SET last_seen_at = 1").run() }
                _ = try await client.send(.get, Self.ledger, auth: admin)
                #expect(await Self.counts(harness.services)["hit"] == 2)

                // The next second computes afresh (freshness and today's date depend on the time). Its first caller
                // gets the previous second's answer at once while the page is computed on its own; once computed,
                // callers get the new answer.
                let kept = try await client.send(.get, Self.ledger, auth: admin).json["data"]
                harness.clock.advance(by: 1)
                let refreshed = try await client.send(.get, Self.ledger, auth: admin)
                #expect(refreshed.status == .ok && refreshed.json["data"] == kept)
                var counts = await Self.counts(harness.services)
                #expect(counts["miss"] == 3 && counts["previous"] == 1, "\(counts)")
                // (Polled slowly: every request spends the principal's read budget.)
                for _ in 0..<100 where counts["hit"] == 3 {
                    try await Task.sleep(for: .milliseconds(100))
                    #expect(try await client.send(.get, Self.ledger, auth: admin).status == .ok)
                    counts = await Self.counts(harness.services)
                }
                #expect(counts["hit"] == 4 && counts["miss"] == 3, "\(counts)")

                // Two seconds on: nothing that old is given, the caller waits for the page. (A new session: the
                // bookkeeping write above made the first one idle since 1970, which shows once it is read again.)
                harness.clock.advance(by: 2)
                let later = try await client.send(.get, Self.ledger, auth: .session(try await client.adminSession()))
                #expect(later.status == .ok, "\(later.text)")
                counts = await Self.counts(harness.services)
                #expect(counts["miss"] == 4, "\(counts)")
            }
        }
    }

    /// Principals and scopes never share answers; errors are not kept.
    @Test(arguments: Backends.all)
    func keptPerPrincipalAndNeverAnError(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 2, databasesPerInstance: 2, days: 3)
            _ = try await harness.createUser("viewer1", role: .viewer)
            _ = try await harness.createUser("tenant1", role: .member)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let viewer = Auth.session(try await client.login("viewer1", "password-123"))
                let tenant = Auth.session(try await client.login("tenant1", "password-123"))
                let all = try await client.send(.get, Self.ledger, auth: admin)
                let asViewer = try await client.send(.get, Self.ledger, auth: viewer)
                let asTenant = try await client.send(.get, Self.ledger, auth: tenant)
                #expect(all.json["data"]?["total"]?.intValue == 4)
                #expect(asViewer.json["data"]?["total"]?.intValue == 4)
                // A tenant without projects sees none of the fleet, even right after the fleet's answer was kept.
                #expect(asTenant.json["data"]?["total"]?.intValue == 0)
                #expect(await Self.counts(harness.services) == ["miss": 3])

                let bad = "/api/v1/capacity/databases?period_type=hourly"
                let refused = try await client.send(.get, bad, auth: admin)
                #expect(refused.status == .badRequest)
                #expect(try await client.send(.get, bad, auth: admin).status == .badRequest)
                #expect(await Self.counts(harness.services)["miss"] == 5)
                // Without credentials: 401 before the cache is asked.
                #expect(try await client.send(.get, Self.ledger).status == .unauthorized)
            }
        }
    }

    /// Many callers of one page at once: one computation, the rest wait for it and get the same data.
    @Test(arguments: Backends.all)
    func concurrentCallersShareOneComputation(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 2, databasesPerInstance: 3, days: 5)
            let token = try await harness.test { client in try await client.createToken(try await client.adminSession()) }
            let app = buildApplication(services: harness.services)
            try await app.test(.router) { client in
                let bodies = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
                    for _ in 0..<40 {
                        group.addTask { try await client.send(.get, Self.ledger, auth: .bearer(token)).json["data"] }
                    }
                    return try await group.reduce(into: [JSONValue?]()) { $0.append($1) }
                }
                #expect(bodies.allSatisfy { $0 != nil && $0 == bodies[0] })
                let counts = await Self.counts(harness.services)
                #expect(counts["miss"] == 1 && (counts["hit"] ?? 0) + (counts["wait"] ?? 0) == 39, "\(counts)")
            }
        }
    }

    @Test func offByConfiguration() async throws {
        try await Harness.with(.sqlite, configure: { $0.responseCache = false }) { harness in
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                #expect(try await client.send(.get, Self.ledger, auth: admin).status == .ok)
                #expect(try await client.send(.get, Self.ledger, auth: admin).status == .ok)
                #expect(await Self.counts(harness.services).isEmpty)
            }
        }
        var configuration = FathomConfiguration()
        #expect(throws: (any Error).self) { try configuration.apply(environment: ["FATHOM_RESPONSE_CACHE": "maybe"]) }
    }

    /// When the kept answers would pass the limit, those kept so far are dropped and the new one is kept: a page asked
    /// for now is still kept however long the epoch lasts.
    @Test func aFullCacheStartsKeepingAfresh() {
        let cache = ResponseCache(changes: StoreChanges(), clock: .system, maximumBytes: 10)
        let epoch = ResponseCache.Epoch(generation: 0, second: 0, span: 0)
        func keep(_ key: String, _ text: String) {
            guard case .compute(let flight) = cache.lookup(key, epoch: epoch) else { Issue.record("not computing \(key)"); return }
            cache.finish(key, epoch: epoch, flight: flight, answer: .init(status: .ok, headers: [:], head: ByteBuffer(string: text)))
        }
        func kept(_ key: String) -> Bool {
            if case .hit = cache.lookup(key, epoch: epoch) { return true }
            return false
        }
        keep("a", "aaaa")
        keep("b", "bbbb")
        #expect(kept("a") && kept("b"))
        guard case .compute(let pending) = cache.lookup("c", epoch: epoch) else { Issue.record("not computing c"); return }
        keep("d", "dddd")
        #expect(!kept("a") && !kept("b") && kept("d"))
        // A computation under way when the rest was dropped is still kept when it finishes; one too large never is.
        cache.finish("c", epoch: epoch, flight: pending, answer: .init(status: .ok, headers: [:], head: ByteBuffer(string: "cc")))
        #expect(kept("c") && kept("d"))
        keep("e", "eeeeeeeeeeee")
        #expect(!kept("e") && kept("d"))
    }

    /// When only the second moves on, the previous second's answer is given while the new one is computed (the caller
    /// that starts the computation gets it too); never across a write, and never from an older second than the one
    /// just before.
    @Test func thePreviousSecondsAnswerOnlyWhileComputingAndNeverAcrossAWrite() async throws {
        let changes = StoreChanges()
        let cache = ResponseCache(changes: changes, clock: .system)
        func answer(_ text: String) -> ResponseCache.Answer {
            ResponseCache.Answer(status: .ok, headers: [:], head: ByteBuffer(string: text))
        }
        func kind(_ lookup: ResponseCache.Lookup) -> String {
            switch lookup {
            case .hit(let kept): "hit " + String(buffer: kept.head)
            case .previous(let kept): "previous " + String(buffer: kept.head)
            case .refresh(let kept, _): "refresh " + String(buffer: kept.head)
            case .wait: "wait"
            case .compute: "compute"
            }
        }
        func computed(_ text: String, second: Int64, generation: Int64 = 0) {
            let epoch = ResponseCache.Epoch(generation: generation, second: second)
            guard case .compute(let flight) = cache.lookup("k", epoch: epoch) else { Issue.record("not computing"); return }
            cache.finish("k", epoch: epoch, flight: flight, answer: answer(text))
        }
        computed("a", second: 10)
        #expect(kind(cache.lookup("k", epoch: .init(generation: 0, second: 10))) == "hit a")
        // Second 11: the first caller starts the computation and, like the callers after it, gets second 10's answer.
        #expect(kind(cache.lookup("k", epoch: .init(generation: 0, second: 11))) == "refresh a")
        #expect(kind(cache.lookup("k", epoch: .init(generation: 0, second: 11))) == "previous a")
        #expect(kind(cache.lookup("other", epoch: .init(generation: 0, second: 11))) == "compute")
        // Second 12 before 11's answer came: nothing was kept in 11, so callers wait.
        #expect(kind(cache.lookup("k", epoch: .init(generation: 0, second: 12))) == "compute")
        #expect(kind(cache.lookup("k", epoch: .init(generation: 0, second: 12))) == "wait")
        computed("b", second: 13)
        // A write: no answer from before it.
        #expect(kind(cache.lookup("k", epoch: .init(generation: 1, second: 14))) == "compute")
        #expect(kind(cache.lookup("k", epoch: .init(generation: 1, second: 14))) == "wait")
        computed("c", second: 20, generation: 1)
        // A gap of more than a second: nothing that old is given.
        #expect(kind(cache.lookup("k", epoch: .init(generation: 1, second: 22))) == "compute")
        #expect(kind(cache.lookup("k", epoch: .init(generation: 1, second: 22))) == "wait")
    }
}
