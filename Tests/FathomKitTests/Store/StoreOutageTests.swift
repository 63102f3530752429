@testable import FathomKit
import Foundation
import HummingbirdTesting
import Logging
import Testing

/// A PostgreSQL store that cannot be reached answers quickly: requests get 503 STORE_UNAVAILABLE with Retry-After
/// (scripts/outage.sh stops a real store under load; these are the unit-sized halves of it).
@Suite(.timeLimit(.minutes(5))) struct StoreOutageTests {
    static func unreachableStore() async throws -> Store {
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        return try await Store.open(url: "postgres://u:p@127.0.0.1:\(try FreePort.find())/db", logger: logger)
    }

    @Test func aStatementFailsAsUnavailableWithinTheAcquireTimeoutThenFast() async throws {
        let store = try await Self.unreachableStore()
        defer { Task { await store.close() } }
        var started = ContinuousClock.now
        await #expect(throws: StoreError.self) { try await store.read { db in try await db.raw("SELECT 1 AS one").run() } }
        // The pool alone would keep the request waiting for a minute.
        #expect(ContinuousClock.now - started < .seconds(8))
        // Known to be down: the next request does not wait the whole timeout again.
        started = ContinuousClock.now
        await #expect(throws: StoreError.self) { try await store.write { db in try await db.raw("SELECT 1 AS one").run() } }
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test func requestsDuringAnOutageGet503WithRetryAfter() async throws {
        let store = try await Self.unreachableStore()
        defer { Task { await store.close() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-outage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = FathomConfiguration()
        configuration.dataDir = directory
        configuration.role = .api
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let services = AppServices(
            configuration: configuration, store: store, secrets: try SecretBox.load(environmentKey: "k", dataDir: directory),
            logger: logger)
        try await buildApplication(services: services).test(.router) { client in
            for path in ["/v1/projects", "/api/v1/auth/me"] {
                let response = try await client.send(.get, path, auth: .bearer("fth_not_checked_while_down"))
                #expect(response.status == .serviceUnavailable, "\(path)")
                #expect(response.json["error"]?["code"] == "STORE_UNAVAILABLE")
                #expect(response.headers[.retryAfter] == String(ErrorRenderer.storeRetryAfterSeconds))
            }
        }
    }
}
