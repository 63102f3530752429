import HTTPTypes
import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite(.timeLimit(.minutes(5))) struct RateLimitTests {
    static let limit = HTTPField.Name("X-RateLimit-Limit")!
    static let remaining = HTTPField.Name("X-RateLimit-Remaining")!
    static let reset = HTTPField.Name("X-RateLimit-Reset")!

    @Test(arguments: Backends.all)
    func readAndWriteBudgetsWithHeaders(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: {
            $0.readRequestsPerMinute = 5
            $0.writeRequestsPerMinute = 2
        }) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()  // one write from this address, not from the admin
                for expected in (0..<5).reversed() {
                    let response = try await client.send(.get, "/api/v1/auth/me", auth: .session(admin))
                    #expect(response.status == .ok)
                    #expect(response.headers[Self.limit] == "5")
                    #expect(response.headers[Self.remaining] == String(expected))
                    #expect(Int(response.headers[Self.reset] ?? "") ?? 0 >= 1)
                }
                let limited = try await client.send(.get, "/api/v1/auth/me", auth: .session(admin))
                #expect(limited.status == .tooManyRequests)
                #expect(limited.errorCode == "RATE_LIMITED")
                #expect(limited.json["error"]?["retryable"] == true)
                #expect(limited.headers[.retryAfter] != nil)
                #expect(limited.headers[Self.remaining] == "0")

                // Writes have their own budget, and errors carry the headers too.
                for _ in 0..<2 {
                    let write = try await client.send(.post, "/api/v1/auth/tokens", auth: .session(admin), json: "{}")
                    #expect(write.status == .badRequest)
                    #expect(write.headers[Self.limit] == "2")
                }
                let writeLimited = try await client.send(.post, "/api/v1/auth/tokens", auth: .session(admin), json: #"{"name":"x"}"#)
                #expect(writeLimited.status == .tooManyRequests)

                // Probes are not API routes and are never limited; the next window restores the budget.
                #expect(try await client.send(.get, "/healthz").headers[Self.limit] == nil)
                harness.clock.advance(by: 61)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .session(admin)).status == .ok)
            }
        }
    }

    /// Replicas share a PostgreSQL store; a SQLite store is served by one process (the data directory lock), which
    /// keeps its counters in memory.
    @Test(arguments: Backends.all.filter { $0 == .postgres })
    func replicasOnOneStoreShareTheBudget(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: { $0.readRequestsPerMinute = 4 }) { harness in
            var logger = Logger(label: "replica")
            logger.logLevel = .critical
            let replica = try await AppServices.open(
                configuration: harness.services.configuration, clock: harness.clock.wallClock, logger: logger)
            defer { Task { await replica.store.close() } }
            let token = try await harness.test { client in try await client.createToken(try await client.adminSession()) }
            let first = buildApplication(services: harness.services)
            let second = buildApplication(services: replica)
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<6 {
                let app = index % 2 == 0 ? first : second
                let status = try await app.test(.router) { client in
                    try await client.send(.get, "/api/v1/auth/me", auth: .bearer(token)).status
                }
                statuses.append(status)
            }
            #expect(statuses == [.ok, .ok, .ok, .ok, .tooManyRequests, .tooManyRequests])
        }
    }
}
