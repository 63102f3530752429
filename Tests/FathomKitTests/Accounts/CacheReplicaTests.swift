@testable import FathomKit
import Foundation
import HTTPTypes
import Logging
import Synchronization
import Testing

/// Two replicas on one PostgreSQL store: an invalidation made on one reaches the other's cache (LISTEN/NOTIFY).
@Suite(.timeLimit(.minutes(10)), .enabled(if: Backends.all.contains(.postgres), "PostgreSQL not available"))
struct CacheReplicaTests {
    typealias F = AccountsFixture

    final class Flag: Sendable {
        let raised = Mutex(false)
        func raise() { raised.withLock { $0 = true } }
        var isRaised: Bool { raised.withLock { $0 } }
    }

    /// Starts a replica's listener; returns the task running it once it is listening.
    static func listen(_ services: AppServices) async throws -> Task<Void, any Error> {
        var listener = try #require(services.features.get(AccountsFeature.self).listener)
        let ready = Flag()
        listener.onListening = { ready.raise() }
        let task = Task { [listener] in try await listener.run() }
        #expect(await waitUntil(timeout: .seconds(10)) { ready.isRaised })
        return task
    }

    static func cached(_ services: AppServices, _ instanceId: Int64, _ username: String) -> Bool {
        services.accountCache.storage.peek("user_permissions", AccountCache.userKey(instanceId, username), as: CachedPermissions.self) != nil
    }

    @Test func clearingOnOneReplicaIsSeenOnAnother() async throws {
        try await Harness.with(.postgres) { harness in
            let a = harness.services
            var logger = Logger(label: "replica-b")
            logger.logLevel = .critical
            let b = try await AppServices.open(configuration: a.configuration, clock: harness.clock.wallClock, logger: logger)
            let listeners = [try await Self.listen(a), try await Self.listen(b)]
            do {
                let prod = try await F.instance(a, name: "prod-db")
                try await F.record(a, prod, ["bob": F.snapshot(), "carol": F.snapshot()])
                for replica in [a, b] {
                    _ = try await replica.accounts.permissions(instanceId: prod, username: "bob")
                    _ = try await replica.accounts.permissions(instanceId: prod, username: "carol")
                }
                #expect(Self.cached(b, prod, "bob") && Self.cached(b, prod, "carol"))

                // clear-user through A's API: A evicts at once, B when told.
                let cleared = try await harness.test { client in
                    try await client.send(.post, "/api/v1/cache/actions/clear-user", auth: .session(try await client.adminSession()),
                        json: #"{"instance_id":\#(prod),"username":"bob"}"#)
                }
                #expect(cleared.json["data"]?["cleared_count"] == 1)
                #expect(!Self.cached(a, prod, "bob"))
                #expect(await waitUntil(timeout: .seconds(5)) { !Self.cached(b, prod, "bob") })
                #expect(Self.cached(b, prod, "carol"))

                // A sync recorded by A drops the instance's entries on B too.
                try await F.record(a, prod, ["bob": F.snapshot(), "carol": F.snapshot(superuser: true)])
                #expect(await waitUntil(timeout: .seconds(5)) { !Self.cached(b, prod, "carol") })
                #expect(try await b.accounts.permissions(instanceId: prod, username: "carol")?.snapshot.isSuperuser == true)

                // A rule created on A drops B's cached rules of that db type.
                _ = try await b.classification.compiledRules("postgresql")
                #expect(b.accountCache.storage.peek("classification_rules", "postgresql", as: [CompiledRule].self) != nil)
                _ = try await a.classification.createRule(
                    .init(classificationId: 1, dbType: "postgresql", ruleName: "r", expression: ["version": 4, "expr": ["fn": "is_superuser"]], isActive: true),
                    by: nil)
                #expect(await waitUntil(timeout: .seconds(5)) {
                    b.accountCache.storage.peek("classification_rules", "postgresql", as: [CompiledRule].self) == nil
                })
                #expect(try await b.classification.compiledRules("postgresql").count == 1)
            } catch {
                for listener in listeners { listener.cancel() }
                await b.store.close()
                throw error
            }
            for listener in listeners {
                listener.cancel()
                _ = await listener.result
            }
            await b.store.close()
        }
    }
}
