@testable import FathomKit
import Foundation
import Logging
import SQLKit
import Testing

/// Migration 8 rebuilds the sample and aggregate tables: what was there before must still be there after.
@Suite(.timeLimit(.minutes(5))) struct ClusteredMigrationTests {
    @Test(arguments: Backends.all)
    func samplesAndAggregatesSurviveTheRebuild(_ backend: Store.Backend) async throws {
        try await UnmigratedStore.with(backend) { store in
            #expect(try await Migrations.run(on: store, through: 7) == [1, 2, 3, 4, 5, 6, 7])
            try await store.write { db in
                try await db.raw(
                    """
                    INSERT INTO database_size_samples (database_id, sample_date, size_bytes, data_bytes, log_bytes, collected_at)
                    VALUES (7, '2026-03-02', 100, 90, 10, 1), (7, '2026-03-01', 80, NULL, NULL, 2), (3, '2026-03-01', 5, 5, NULL, 3)
                    """
                ).run()
                try await db.raw(
                    """
                    INSERT INTO database_aggregations (database_id, period_type, period_start, period_end, avg_size_bytes,
                        max_size_bytes, min_size_bytes, data_count, first_size_bytes, last_size_bytes, previous_avg_bytes, calculated_at)
                    VALUES (7, 'weekly', '2026-03-02', '2026-03-08', 100, 100, 100, 1, 100, 100, 80, 9)
                    """
                ).run()
                try await db.raw(
                    """
                    INSERT INTO instance_aggregations (instance_id, period_type, period_start, period_end, avg_size_bytes,
                        max_size_bytes, min_size_bytes, data_count, first_size_bytes, last_size_bytes, previous_avg_bytes,
                        avg_database_count, max_database_count, calculated_at)
                    VALUES (2, 'monthly', '2026-03-01', '2026-03-31', 200, 300, 100, 30, 100, 300, NULL, 4, 5, 9)
                    """
                ).run()
            }
            #expect(try await Migrations.run(on: store) == Array(8...Migrations.latestVersion))

            let (samples, databaseRow, instanceRow) = try await store.read { db in
                let samples = try await db.raw(
                    "SELECT database_id, sample_date, size_bytes, data_bytes, log_bytes, collected_at FROM database_size_samples ORDER BY database_id, sample_date"
                ).all().map {
                    "\(try $0.int64("database_id")) \(try $0.string("sample_date")) \(try $0.int64("size_bytes")) "
                        + "\(try $0.optionalInt64("data_bytes") ?? -1) \(try $0.optionalInt64("log_bytes") ?? -1) \(try $0.int64("collected_at"))"
                }
                let database = try await db.raw(
                    "SELECT period_type, database_id, period_start, period_end, avg_size_bytes, data_count, calculated_at FROM database_aggregations"
                ).all().map {
                    "\(try $0.string("period_type")) \(try $0.int64("database_id")) \(try $0.string("period_start"))…\(try $0.string("period_end")) "
                        + "\(try $0.int64("avg_size_bytes")) n\(try $0.int("data_count")) at \(try $0.int64("calculated_at"))"
                }
                let instance = try await db.raw(
                    "SELECT instance_id, max_size_bytes, min_size_bytes, avg_database_count, max_database_count FROM instance_aggregations"
                ).all().map {
                    "\(try $0.int64("instance_id")) \(try $0.int64("max_size_bytes")) \(try $0.int64("min_size_bytes")) "
                        + "\(try $0.int("avg_database_count")) \(try $0.int("max_database_count"))"
                }
                return (samples, database, instance)
            }
            #expect(samples == ["3 2026-03-01 5 5 -1 3", "7 2026-03-01 80 -1 -1 2", "7 2026-03-02 100 90 10 1"])
            #expect(databaseRow == ["weekly 7 2026-03-02…2026-03-08 100 n1 at 9"])
            #expect(instanceRow == ["2 300 100 4 5"])
            // One sample per database per day still holds after the rebuild.
            await #expect(throws: (any Error).self) {
                try await store.write { db in
                    try await db.raw(
                        "INSERT INTO database_size_samples (database_id, sample_date, size_bytes, collected_at) VALUES (7, '2026-03-01', 1, 1)"
                    ).run()
                }
            }
        }
    }
}
