@testable import FathomKit
import Foundation
import SQLKit
import Testing

/// A detection runs after every collect: a pair it finds again as it was keeps its row untouched; a changed score
/// rewrites it.
@Suite(.timeLimit(.minutes(3))) struct DuplicateStoreTests {
    @Test(arguments: Backends.all)
    func aPairFoundAgainUnchangedIsLeftAlone(_ backend: Store.Backend) async throws {
        try await UnmigratedStore.with(backend) { store in
            try await Migrations.run(on: store)
            try await store.write { db in
                try await db.raw(
                    """
                    INSERT INTO assets (asset_uuid, asset_type, display_name, status, created_at, updated_at)
                    VALUES ('a-1', 'vm', 'one', 'in_service', 1, 1), ('a-2', 'vm', 'two', 'in_service', 1, 1)
                    """
                ).run()
            }
            let duplicates = DuplicateStore(store: store)
            func pair(_ score: Int) -> DuplicateScoring.Pair {
                DuplicateScoring.Pair(
                    first: "a-1", second: "a-2", assetType: "vm", score: score,
                    reasons: [DuplicateScoring.Key(rule: "machine_uuid", value: "4211", score: score)])
            }
            func updatedAt() async throws -> Int64? {
                try await duplicates.list(DuplicateStore.Filter(), offset: 0, limit: 10).items.first?.updatedAt
            }
            _ = try await duplicates.save([pair(100)], now: 1_000)
            _ = try await duplicates.save([pair(100)], now: 2_000)
            #expect(try await updatedAt() == 1_000)
            _ = try await duplicates.save([pair(90)], now: 3_000)
            #expect(try await updatedAt() == 3_000)
        }
    }
}
