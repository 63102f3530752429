import SQLKit

/// The statements backup and restore need, kept with the rest of the store's SQL.
extension Store {
    /// What the database itself reports as broken: SQLite's `integrity_check` and `foreign_key_check`; on PostgreSQL,
    /// constraints left unvalidated (it enforces the rest itself). Empty when all is well.
    func integrityProblems() async throws -> [String] {
        let backend = self.backend
        return try await read { db in
            guard backend == .sqlite else {
                let rows = try await db.raw(
                    "SELECT conrelid::regclass::text AS owner, conname AS name FROM pg_constraint WHERE NOT convalidated"
                ).all()
                return try rows.map { "constraint \(try $0.decode(column: "name", as: String.self)) on \(try $0.decode(column: "owner", as: String.self)) not validated" }
            }
            let integrity = try await db.raw("PRAGMA integrity_check").all()
                .map { try $0.decode(column: "integrity_check", as: String.self) }
                .filter { $0 != "ok" }
            let foreignKeys = try await db.raw("PRAGMA foreign_key_check").all().map { row in
                "row \(try row.decode(column: "rowid", as: Int64?.self).map(String.init) ?? "?") of \(try row.decode(column: "table", as: String.self)) points to a missing \(try row.decode(column: "parent", as: String.self)) row"
            }
            return integrity + foreignKeys
        }
    }

    /// SQLite: writes a consistent copy of the database (one read snapshot) to `path`, an empty or absent file.
    func vacuumInto(_ path: String) async throws {
        try await read { db in try await db.raw("VACUUM INTO \(bind: path)").run() }
    }

    /// SQLite: moves everything the WAL holds into the database file and empties the WAL. Not through `write`: a
    /// checkpoint cannot run inside the transaction `write` opens (any connection outside one may run it).
    func checkpointWAL() async throws {
        try await read { db in try await db.raw("PRAGMA wal_checkpoint(TRUNCATE)").run() }
    }

    /// PostgreSQL: sessions connected to this database other than this one.
    func otherConnections() async throws -> Int {
        try await count("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    }

    /// PostgreSQL: tables in the schema this connection creates tables in.
    func tableCount() async throws -> Int {
        try await count("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()")
    }

    /// The `n` column of a one-row query.
    private func count(_ query: SQLQueryString) async throws -> Int {
        try await read { db in try await db.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0 }
    }
}
