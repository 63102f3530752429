import Foundation
import SQLKit

/// One numbered schema change; statements may differ per backend through `ColumnTypes`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    let statements: @Sendable (ColumnTypes) -> [String]

    init(version: Int, name: String, statements: @escaping @Sendable (ColumnTypes) -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// The numbered migrations, applied in order at start (and by `fathom migrate`).
public enum Migrations {
    /// Every migration Fathom knows: the platform's and each feature's (`FeatureList.migrations`).
    public static var all: [Migration] { FeatureList.migrations }

    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }

    /// Applies what is pending (up to `through`, for tests of a migration on older data) in one transaction;
    /// returns the versions applied.
    @discardableResult
    public static func run(on store: Store, through last: Int = .max) async throws -> [Int] {
        let backend = store.backend
        return try await store.write { db in
            if backend == .postgres {
                // Replicas starting together: the first applies, the others wait and then find nothing to do.
                try await db.raw("SELECT pg_advisory_xact_lock(72846153)").run()
            }
            try await db.raw(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """
            ).run()
            let applied = Set(
                try await db.raw("SELECT version FROM schema_migrations").all()
                    .map { try $0.decode(column: "version", as: Int.self) })
            var done: [Int] = []
            for migration in all where !applied.contains(migration.version) && migration.version <= last {
                for statement in migration.statements(ColumnTypes(backend: backend)) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.raw(
                    """
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Millis.now()))
                    """
                ).run()
                done.append(migration.version)
            }
            return done
        }
    }

    /// The highest applied version, or nil when the store has never been migrated.
    public static func currentVersion(of store: Store) async throws -> Int? {
        try await store.read { db in
            let row = try await db.raw("SELECT MAX(version) AS version FROM schema_migrations").first()
            return try row?.decodeNil(column: "version") == false
                ? try row?.decode(column: "version", as: Int.self) : nil
        }
    }
}

/// Milliseconds since 1970, the one timestamp representation in the store.
public enum Millis {
    public static func now() -> Int64 { from(Date()) }
    public static func from(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    public static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}
