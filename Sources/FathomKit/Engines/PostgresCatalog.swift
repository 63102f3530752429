import Logging
import PostgresNIO

/// Catalog queries Fathom runs against managed PostgreSQL servers.
enum PostgresCatalog {
    struct DatabaseSize: Sendable {
        var name: String
        var bytes: Int64
    }

    struct TableSize: Sendable {
        var schema: String
        var table: String
        var totalBytes: Int64
        var dataBytes: Int64
        var indexBytes: Int64
        var rowEstimate: Int64
    }

    /// Databases that accept connections, templates excluded, with their sizes.
    static func databases(_ connection: PostgresConnection, logger: Logger) async throws -> [DatabaseSize] {
        // A database dropped between the catalog scan and its size makes the whole statement fail (3D000); on a
        // busy server that is routine, so the listing is taken again — the next scan no longer sees it.
        var attempt = 1
        while true {
            do {
                return try await databasesOnce(connection, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "3D000" && attempt < 5 {
                attempt += 1
            }
        }
    }

    private static func databasesOnce(_ connection: PostgresConnection, logger: Logger) async throws -> [DatabaseSize] {
        let rows = try await connection.query(
            """
            SELECT datname::text, pg_database_size(oid)::bigint FROM pg_database
            WHERE datallowconn AND NOT datistemplate ORDER BY datname
            """, logger: logger)
        var sizes: [DatabaseSize] = []
        for try await (name, bytes) in rows.decode((String, Int64).self) { sizes.append(DatabaseSize(name: name, bytes: bytes)) }
        return sizes
    }

    /// Tables, partitioned tables and materialized views outside the system schemas.
    static func tables(_ connection: PostgresConnection, logger: Logger) async throws -> [TableSize] {
        let rows = try await connection.query(
            """
            SELECT n.nspname::text, c.relname::text, pg_total_relation_size(c.oid)::bigint, pg_relation_size(c.oid)::bigint,
                   pg_indexes_size(c.oid)::bigint, GREATEST(c.reltuples, 0)::bigint
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 1, 2
            """, logger: logger)
        var tables: [TableSize] = []
        for try await (schema, table, total, data, index, estimate) in rows.decode((String, String, Int64, Int64, Int64, Int64).self) {
            tables.append(TableSize(schema: schema, table: table, totalBytes: total, dataBytes: data, indexBytes: index, rowEstimate: estimate))
        }
        return tables
    }
}
