@testable import FathomKit
import Foundation
import Logging
import Synchronization
import Testing

/// Processes on one PostgreSQL tell each other of their writes: every observed write transaction announces itself at
/// commit, and a listening process's generation moves on with each announcement but its own. Kept answers of
/// `.untilWrite` routes then last until such a write, however much time passes.
@Suite(.timeLimit(.minutes(5)), .enabled(if: Backends.all.contains(.postgres), "PostgreSQL not available"))
struct StoreChangeListenerTests {
    /// Starts `services`' store listener; returns the task running it once it is listening.
    static func listen(_ services: AppServices) async throws -> Task<Void, any Error> {
        let ready = CacheReplicaTests.Flag()
        var listener = StoreChangeListener(url: services.configuration.resolvedDatabaseURL, store: services.store, logger: services.logger)
        listener.onListening = { ready.raise() }
        let task = Task { [listener] in try await listener.run() }
        #expect(await waitUntil(timeout: .seconds(10)) { ready.isRaised })
        return task
    }

    /// Another replica on the harness's PostgreSQL store (quiet logs).
    static func secondReplica(_ harness: Harness) async throws -> AppServices {
        var logger = Logger(label: "replica-b")
        logger.logLevel = .critical
        return try await AppServices.open(configuration: harness.services.configuration, clock: harness.clock.wallClock, logger: logger)
    }

    /// Whether the generation stays at `value` for a while (an announcement arrives in milliseconds).
    static func stays(_ changes: StoreChanges, at value: Int64) async throws -> Bool {
        try await Task.sleep(for: .milliseconds(300))
        return changes.generation == value
    }

    @Test func writesElsewhereMoveTheGenerationOnAndNothingElseDoes() async throws {
        try await Harness.with(.postgres) { harness in
            let a = harness.services
            let b = try await Self.secondReplica(harness)
            #expect(!a.store.changes.othersAnnounced)
            let listener = try await Self.listen(a)
            do {
                let changes = a.store.changes
                #expect(changes.othersAnnounced)
                var seen = changes.generation
                // Kept answers of `.untilWrite` routes do not age while announcements arrive.
                let lasting = ResponseCache(changes: changes, clock: harness.clock.wallClock, untilWrite: true)
                let kept = lasting.epoch()
                harness.clock.advance(by: 3600)
                #expect(lasting.epoch() == kept && kept.span == 0)
                #expect(ResponseCache(changes: changes, clock: harness.clock.wallClock).epoch().span == 1)

                // B's write moves A's generation on.
                try await b.store.write { db in try await db.raw("UPDATE sessions SET last_seen_at = last_seen_at").run() }
                #expect(await waitUntil(timeout: .seconds(5)) { changes.generation > seen })
                seen = changes.generation
                // Bookkeeping and a rolled-back write are not announced.
                try await b.store.write(observed: false) { db in try await db.raw("UPDATE sessions SET last_seen_at = last_seen_at").run() }
                await #expect(throws: (any Error).self) {
                    try await b.store.write { db in
                        try await db.raw("UPDATE sessions SET last_seen_at = last_seen_at").run()
                        throw HarnessError("rolled back")
                    }
                }
                #expect(try await Self.stays(changes, at: seen))
                // A's own write counts once, not again when its announcement comes back.
                try await a.store.write { db in try await db.raw("UPDATE sessions SET last_seen_at = last_seen_at").run() }
                #expect(changes.generation == seen + 1)
                #expect(try await Self.stays(changes, at: seen + 1))
            } catch {
                listener.cancel()
                await b.store.close()
                throw error
            }
            listener.cancel()
            _ = await listener.result
            #expect(!a.store.changes.othersAnnounced)
            #expect(ResponseCache(changes: a.store.changes, clock: harness.clock.wallClock, untilWrite: true).epoch().span == 1)
            await b.store.close()
        }
    }

    /// An asset's detail on replica A is kept across seconds while A listens, and a write on replica B is in A's
    /// next answer as soon as it is announced; the ledger (which depends on the time) is still kept a second only.
    @Test func keptUntilAWriteOnAnyReplica() async throws {
        try await Harness.with(.postgres) { harness in
            let a = harness.services
            let b = try await Self.secondReplica(harness)
            let uuid = UUID().uuidString.lowercased()
            try await b.store.write { db in
                try await db.raw(
                    """
                    INSERT INTO assets (asset_uuid, asset_type, display_name, status, created_at, updated_at)
                    VALUES (\(bind: uuid), 'vm', 'before', 'in_service', 1, 1)
                    """
                ).run()
            }
            let listener = try await Self.listen(a)
            do {
                try await harness.test { client in
                    let admin = Auth.session(try await client.adminSession())
                    func name() async throws -> String? {
                        try await client.send(.get, "/api/v1/assets/\(uuid)", auth: admin).json["data"]?["displayName"]?.stringValue
                    }
                    #expect(try await name() == "before")
                    let kept = await ResponseCacheTests.counts(a)
                    harness.clock.advance(by: 5)
                    #expect(try await name() == "before")
                    #expect(await ResponseCacheTests.counts(a)["hit"] == (kept["hit"] ?? 0) + 1)

                    try await b.store.write { db in
                        try await db.raw("UPDATE assets SET display_name = 'after' WHERE asset_uuid = \(bind: uuid)").run()
                    }
                    #expect(try await waitUntil(timeout: .seconds(5)) { try await name() == "after" })
                }
            } catch {
                listener.cancel()
                await b.store.close()
                throw error
            }
            listener.cancel()
            await b.store.close()
        }
    }
}
