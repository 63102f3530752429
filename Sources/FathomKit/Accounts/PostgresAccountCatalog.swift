import Logging
import PostgresNIO

/// Reads accounts and privileges from a PostgreSQL server: roles and memberships once (they are cluster-wide),
/// database privileges from `pg_database`, schema and table privileges from each database that accepts connections.
enum PostgresAccountCatalog {
    struct Role {
        var oid: UInt32
        var snapshot: PermissionSnapshot
    }

    /// Roles (predefined `pg_*` roles are not accounts), their attributes, memberships and database privileges,
    /// plus the databases to visit for schema and table privileges.
    static func cluster(_ connection: PostgresConnection, logger: Logger) async throws -> (roles: [String: Role], names: [UInt32: String], databases: [String]) {
        var roles: [String: Role] = [:]
        var names: [UInt32: String] = [:]
        let rows = try await connection.query(
            """
            SELECT oid::int8, rolname::text, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
                   rolbypassrls, rolconnlimit::int8, rolvaliduntil::text
            FROM pg_roles
            """, logger: logger)
        for try await (oid, name, superuser, inherit, createrole, createdb, login, replication, bypassrls, limit, validUntil)
            in rows.decode((Int64, String, Bool, Bool, Bool, Bool, Bool, Bool, Bool, Int64, String?).self)
        {
            names[UInt32(oid)] = name
            guard !name.hasPrefix("pg_") else { continue }
            var attributes: [String: JSONValue] = [
                "superuser": .bool(superuser), "inherit": .bool(inherit), "createrole": .bool(createrole),
                "createdb": .bool(createdb), "login": .bool(login), "replication": .bool(replication),
                "bypassrls": .bool(bypassrls), "connection_limit": .int(limit),
            ]
            attributes["valid_until"] = validUntil.map(JSONValue.string) ?? .null
            roles[name] = Role(oid: UInt32(oid), snapshot: PermissionSnapshot(attributes: attributes))
        }
        let members = try await connection.query(
            "SELECT member::int8, roleid::int8, admin_option FROM pg_auth_members", logger: logger)
        for try await (member, role, admin) in members.decode((Int64, Int64, Bool).self) {
            guard let memberName = names[UInt32(member)], let roleName = names[UInt32(role)], roles[memberName] != nil else { continue }
            let before = roles[memberName]?.snapshot.roles[roleName] ?? false
            roles[memberName]?.snapshot.roles[roleName] = admin || before
        }
        var databases: [String] = []
        let acl = try await connection.query(
            """
            SELECT d.datname::text, d.datallowconn AND NOT d.datistemplate, a.grantee::int8, a.privilege_type::text
            FROM pg_database d LEFT JOIN LATERAL aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a ON TRUE
            ORDER BY 1
            """, logger: logger)
        for try await (database, connectable, grantee, privilege) in acl.decode((String, Bool, Int64?, String?).self) {
            if connectable && databases.last != database { databases.append(database) }
            guard let grantee, let privilege, let name = names[UInt32(grantee)], roles[name] != nil else { continue }
            roles[name]?.snapshot.privileges["database", default: [:]][database, default: []].append(Self.short(privilege))
        }
        return (roles, names, databases)
    }

    /// Schema privileges and the per-schema summary of table privileges in the connected database, by role oid.
    static func objects(
        _ connection: PostgresConnection, database: String, logger: Logger
    ) async throws -> [UInt32: [String: [String: [String]]]] {
        var found: [UInt32: [String: [String: Set<String>]]] = [:]
        let schemas = try await connection.query(
            """
            SELECT n.nspname::text, a.grantee::int8, a.privilege_type::text
            FROM pg_namespace n, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a
            WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
            """, logger: logger)
        for try await (schema, grantee, privilege) in schemas.decode((String, Int64, String).self) {
            found[UInt32(grantee), default: [:]]["schema", default: [:]][database + "." + schema, default: []].insert(privilege)
        }
        // One row per (schema, grantee, privilege): the summary costs a scan of pg_class, not one row per grant.
        let tables = try await connection.query(
            """
            SELECT n.nspname::text, a.grantee::int8, a.privilege_type::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                 aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) a
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
            GROUP BY 1, 2, 3
            """, logger: logger)
        for try await (schema, grantee, privilege) in tables.decode((String, Int64, String).self) {
            found[UInt32(grantee), default: [:]]["table", default: [:]][database + "." + schema, default: []].insert(privilege)
        }
        return found.mapValues { scopes in scopes.mapValues { objects in objects.mapValues { $0.sorted() } } }
    }

    /// Database privileges as PostgreSQL's GRANT spells them.
    static func short(_ privilege: String) -> String { privilege == "TEMPORARY" ? "TEMP" : privilege }
}
