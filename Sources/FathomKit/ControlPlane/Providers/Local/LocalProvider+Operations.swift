import Foundation
import Logging
import PostgresNIO
import Synchronization

extension LocalProvider {
    func primary(_ instance: Instance) throws -> Endpoint {
        guard let endpoint = instance.endpoints.first(where: { $0.role == .primary }) else {
            throw AppError(.jobFailed, "Instance \(instance.id) has no primary endpoint")
        }
        return endpoint
    }

    func standbys(_ instance: Instance) -> [Endpoint] { instance.endpoints.filter { $0.role == .standby } }

    // MARK: Delete, restart, update

    public func delete(_ context: ProviderContext) async throws {
        let instance = context.instance
        for endpoint in instance.endpoints {
            try await stop(nodeDirectory(instance.id, port: endpoint.port), version: instance.version)
        }
        // A failed create may have left nodes that never reached the endpoints list.
        let directory = instanceDirectory(instance.id)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where entry.hasPrefix("node-") && !entry.hasSuffix(".log") {
            try await stop("\(directory)/\(entry)", version: instance.version)
        }
        try await context.step("delete.after-stop")
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func restart(_ context: ProviderContext) async throws {
        let instance = context.instance
        for endpoint in [try primary(instance)] + standbys(instance) {
            let node = nodeDirectory(instance.id, port: endpoint.port)
            try await tools.run("pg_ctl", version: instance.version, ["-D", node, "-l", "\(node).log", "-m", "fast", "-w", "-t", "60", "restart"])
        }
    }

    // MARK: Backups

    /// A base backup (plain, verified with pg_verifybackup against its manifest), then packed as a gzip tarball.
    public func backup(_ context: ProviderContext, backup: Backup) async throws -> (sizeBytes: Int64, location: String) {
        let instance = context.instance
        let (_, password) = try Self.superuser(context)
        let directory = backupDirectory(backup.id)
        let plain = "\(directory)/plain"
        // Files of an earlier, interrupted run of this backup are incomplete: start over (the instance has the data).
        try? FileManager.default.removeItem(atPath: directory)
        try await tools.makePrivateDirectory(directory)
        do {
            if backup.kind == "logical" { return try await logicalBackup(context, backup: backup, directory: directory) }
            await context.progress(10, "pg_basebackup")
            try await tools.run(
                "pg_basebackup", version: instance.version,
                ["-h", "127.0.0.1", "-p", String(try primary(instance).port), "-U", "postgres", "-D", plain, "-X", "fetch",
                 // A scheduled backup lets the checkpoint it starts from run at the instance's own pace (spread over
                 // checkpoint_completion_target), instead of writing every dirty page at once under the workload.
                 "-c", backup.trigger == "scheduled" ? "spread" : "fast", "--manifest-checksums=CRC32C"],
                environment: ["PGPASSWORD": password], lowPriority: true)
            if instance.backupPolicy?.pitr_enabled == true {
                try await recordArchiveStart(context, backupDirectory: directory, walStart: try backupStartWALFile(plainBackup: plain))
            }
            try await context.step("backup.after-basebackup")
            await context.progress(60, "pg_verifybackup")
            try await tools.run("pg_verifybackup", version: instance.version, [plain], lowPriority: true)
            try await context.step("backup.after-verify")
            await context.progress(80, "compressing")
            // gzip's fastest level: several times the throughput of the default for a few percent more bytes. Tar and
            // gzip at backup priority, so that a (scheduled) backup yields to the instance's own work on a busy host.
            let prefix = LocalTools.lowPriority
            try await tools.command(
                prefix[0], Array(prefix.dropFirst()) + ["/bin/tar", "--use-compress-program=gzip -1", "-cf", "\(directory)/base.tar.gz", "-C", plain, "."],
                label: "tar")
            try FileManager.default.removeItem(atPath: plain)
            try await context.step("backup.after-compress")
            let size = (try FileManager.default.attributesOfItem(atPath: "\(directory)/base.tar.gz")[.size] as? NSNumber)?.int64Value ?? 0
            return (size, "\(directory)/base.tar.gz")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    public func deleteBackup(_ backup: Backup) async throws {
        try? FileManager.default.removeItem(atPath: backupDirectory(backup.id))
    }

    // MARK: Users

    public func applyUser(_ context: ProviderContext, _ change: UserChange, creating: Bool) async throws {
        let role = Self.identifier(change.name)
        let databases = try await applyRole(context, change, creating: creating, role: role)
        try await grantSchemaCreate(context, role: change.name, privileges: change.privileges, databases: databases)
    }

    /// The role, its memberships and its database privileges; returns the databases that accept connections.
    private func applyRole(_ context: ProviderContext, _ change: UserChange, creating: Bool, role: String) async throws -> [String] {
        let found = Mutex<[String]>([])
        try await withSuperuser(context) { connection, logger in
            func execute(_ sql: String) async throws { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
            let login = change.login ? "LOGIN" : "NOLOGIN"
            let password = change.password.map { " PASSWORD \(Self.literal($0))" } ?? ""
            try await execute("\(creating ? "CREATE" : "ALTER") ROLE \(role) WITH \(login) CONNECTION LIMIT \(change.connectionLimit)\(password)")
            // Memberships and database privileges become exactly what was asked for.
            let current = try await connection.query(
                "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = \(change.name)",
                logger: logger)
            var members: [String] = []
            for try await name in current.decode(String.self) { members.append(name) }
            for name in members where !change.roles.contains(name) { try await execute("REVOKE \(Self.identifier(name)) FROM \(role)") }
            for name in change.roles where !members.contains(name) { try await execute("GRANT \(Self.identifier(name)) TO \(role)") }
            let databases = try await connection.query("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate", logger: logger)
            var names: [String] = []
            for try await name in databases.decode(String.self) { names.append(name) }
            for database in names {
                try await execute("REVOKE CONNECT, CREATE, TEMPORARY ON DATABASE \(Self.identifier(database)) FROM \(role)")
            }
            for (database, grants) in change.privileges where names.contains(database) && !grants.isEmpty {
                try await execute("GRANT \(grants.joined(separator: ", ")) ON DATABASE \(Self.identifier(database)) TO \(role)")
            }
            found.withLock { $0 = names }
        }
        return found.withLock { $0 }
    }

    public func dropUser(_ context: ProviderContext, name: String) async throws {
        let role = Self.identifier(name)
        try await withSuperuser(context) { connection, logger in
            let exists = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(name)", logger: logger)
            var found = false
            for try await _ in exists { found = true }
            guard found else { return }
            // Objects and privileges (including database privileges) go first, or DROP ROLE refuses.
            for sql in ["REASSIGN OWNED BY \(role) TO postgres", "DROP OWNED BY \(role)", "DROP ROLE \(role)"] {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            }
        }
    }

    func withSuperuser(_ context: ProviderContext, _ body: @Sendable (PostgresConnection, Logger) async throws -> Void) async throws {
        let (user, password) = try Self.superuser(context)
        let target = PostgresSession.Target(
            host: "127.0.0.1", port: try primary(context.instance).port, username: user, password: password, database: "postgres")
        let logger = context.logger
        try await PostgresSession.with(target, logger: logger) { connection in try await body(connection, logger) }
    }

    /// The instance's private Unix socket, where the superuser is trusted (used to repair the password).
    func withSuperuserSocket(_ instance: Instance, _ body: @Sendable (PostgresConnection) async throws -> Void) async throws {
        let port = try primary(instance).port
        let configuration = PostgresConnection.Configuration(
            unixSocketPath: "\(socketDirectory(instance.id))/.s.PGSQL.\(port)", username: "postgres", password: nil, database: "postgres")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "fathom.local"))
        do {
            try await body(connection)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A double-quoted identifier (names are validated to `[a-z0-9_]` before they get here).
    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// A string literal for utility statements that take no parameters (CREATE/ALTER ROLE … PASSWORD).
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\0", with: "").replacingOccurrences(of: "'", with: "''") + "'"
    }

    // MARK: Reconciliation

    /// Starts any node of a RUNNING instance whose server is down; false if it could not be started.
    public func ensureRunning(_ instance: Instance, logger: Logger) async -> Bool {
        var healthy = true
        for endpoint in instance.endpoints {
            let node = nodeDirectory(instance.id, port: endpoint.port)
            guard await !isRunning(node, version: instance.version) else { continue }
            logger.warning("local instance node is down; starting it", metadata: ["instance_id": .string(instance.id), "port": .stringConvertible(endpoint.port)])
            try? FileManager.default.removeItem(atPath: "\(node)/postmaster.pid")
            // A killed postmaster's children take a moment to notice and release shared memory: retry briefly.
            var started = false
            for _ in 0..<10 where !started {
                started = (try? await start(node, version: instance.version)) != nil
                if !started { try? await Task.sleep(for: .milliseconds(500)) }
            }
            if !started { healthy = false }
        }
        return healthy
    }

    /// Bytes used by the primary's data directory.
    public func storageUsed(_ instance: Instance) -> Int64 {
        guard let primary = try? primary(instance) else { return 0 }
        let node = nodeDirectory(instance.id, port: primary.port)
        var total: Int64 = 0
        let enumerator = FileManager.default.enumerator(
            at: URL(fileURLWithPath: node), includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            if let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), values.isRegularFile == true {
                total += Int64(values.fileSize ?? 0)
            }
        }
        return total
    }

    /// Instance directories with no instance in the store.
    public func orphanDirectories(known: Set<String>) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/instances")) ?? []
        return entries.filter { !known.contains($0) }.map { "\(root)/instances/\($0)" }
    }

    /// Stops every node of an instance (for `fathom instances stop-all`).
    public func stopAll(_ instance: Instance) async {
        for endpoint in instance.endpoints { try? await stop(nodeDirectory(instance.id, port: endpoint.port), version: instance.version) }
    }
}
