import Foundation
import Logging
import PostgresNIO

extension LocalProvider {
    /// `CREATE DATABASE … OWNER` from template0 with the asked encoding and locale, closed to everyone but its
    /// owner and the users given it. In PostgreSQL 15 the `public` schema belongs to the database owner, so the
    /// owner can create tables in it at once.
    public func createDatabase(_ context: ProviderContext, _ spec: DatabaseSpec) async throws {
        try await withSuperuser(context) { connection, logger in
            let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(spec.name)", logger: logger)
            var found = false
            for try await _ in exists { found = true }
            // A retried create finds the database it made before.
            guard !found else { return }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE DATABASE \(Self.identifier(spec.name)) OWNER \(Self.identifier(spec.owner)) TEMPLATE template0
                        ENCODING \(Self.literal(spec.encoding)) LOCALE \(Self.literal(spec.locale))
                        """), logger: logger)
            // Only its owner and the users given it may connect (PostgreSQL lets everyone by default).
            try await connection.query(
                PostgresQuery(unsafeSQL: "REVOKE CONNECT, TEMPORARY ON DATABASE \(Self.identifier(spec.name)) FROM PUBLIC"),
                logger: logger)
        }
    }

    /// Drops the database, ending its sessions first.
    public func dropDatabase(_ context: ProviderContext, name: String) async throws {
        try await withSuperuser(context) { connection, logger in
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(Self.identifier(name)) WITH (FORCE)"), logger: logger)
        }
    }

    /// Lets a user create in the `public` schema of each database where it holds CREATE (and takes that away
    /// elsewhere): a user given a database can work in it without further grants.
    func grantSchemaCreate(_ context: ProviderContext, role: String, privileges: [String: [String]], databases: [String]) async throws {
        let (user, password) = try Self.superuser(context)
        for database in databases where database != "template0" {
            let target = PostgresSession.Target(
                host: "127.0.0.1", port: try primary(context.instance).port, username: user, password: password, database: database)
            let creates = privileges[database]?.contains("CREATE") ?? false
            let statement = creates
                ? "GRANT USAGE, CREATE ON SCHEMA public TO \(Self.identifier(role))"
                : "REVOKE CREATE ON SCHEMA public FROM \(Self.identifier(role))"
            let logger = context.logger
            try await PostgresSession.with(target, logger: logger) { connection in
                let schema = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = 'public'", logger: logger)
                var found = false
                for try await _ in schema { found = true }
                if found { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            }
        }
    }
}
