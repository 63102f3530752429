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
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func restart(_ context: ProviderContext) async throws {
        let instance = context.instance
        for endpoint in [try primary(instance)] + standbys(instance) {
            let node = nodeDirectory(instance.id, port: endpoint.port)
            try await tools.run("pg_ctl", version: instance.version, ["-D", node, "-l", "\(node).log", "-m", "fast", "-w", "-t", "60", "restart"])
        }
    }

    /// Applies new resources (settings need a restart: standby first, so it never has fewer slots than the primary)
    /// and adds or removes the standby.
    public func update(_ context: ProviderContext, from old: Instance) async throws -> ProvisionResult {
        let instance = context.instance
        let (_, password) = try Self.superuser(context)
        let primaryEndpoint = try primary(old)
        var endpoints = [primaryEndpoint]
        for endpoint in standbys(old) {
            let node = nodeDirectory(instance.id, port: endpoint.port)
            if instance.highAvailability {
                try await configure(node, instance: instance, port: endpoint.port)
                try await stop(node, version: instance.version)
                try await start(node, version: instance.version)
                endpoints.append(endpoint)
            } else {
                await context.progress(40, "removing the standby")
                try await stop(node, version: instance.version)
                try? FileManager.default.removeItem(atPath: node)
            }
        }
        let primaryNode = nodeDirectory(instance.id, port: primaryEndpoint.port)
        await context.progress(60, "restarting with new settings")
        try await configure(primaryNode, instance: instance, port: primaryEndpoint.port)
        try await stop(primaryNode, version: instance.version)
        try await start(primaryNode, version: instance.version)
        if instance.highAvailability && standbys(old).isEmpty {
            await context.progress(80, "creating the standby")
            endpoints.append(try await addStandby(instance, primaryPort: primaryEndpoint.port, password: password))
        }
        return ProvisionResult(endpoints: endpoints)
    }

    // MARK: Failover

    /// Fences the primary, promotes the standby, then rebuilds the old primary as the new standby (pg_rewind, else a
    /// fresh base backup). The result reports how long clients had no primary.
    public func failover(_ context: ProviderContext) async throws -> ProvisionResult {
        let instance = context.instance
        let (_, password) = try Self.superuser(context)
        let oldPrimary = try primary(instance)
        guard let standby = standbys(instance).first else {
            throw AppError(.conflict, "Instance \(instance.id) has no standby to fail over to")
        }
        let oldNode = nodeDirectory(instance.id, port: oldPrimary.port)
        let newNode = nodeDirectory(instance.id, port: standby.port)
        let started = ContinuousClock.now
        await context.progress(20, "fencing the primary")
        try await stop(oldNode, version: instance.version)
        await context.progress(40, "promoting the standby")
        try await tools.run("pg_ctl", version: instance.version, ["-D", newNode, "-w", "-t", "60", "promote"])
        let unavailable = ContinuousClock.now - started
        let unavailableMillis = unavailable.components.seconds * 1000 + unavailable.components.attoseconds / 1_000_000_000_000_000
        await context.progress(60, "primary unavailable for \(unavailableMillis) ms; rebuilding the old primary")
        do {
            try await tools.run(
                "pg_rewind", version: instance.version,
                [
                    "--target-pgdata=\(oldNode)", "-R",
                    "--source-server=host=127.0.0.1 port=\(standby.port) user=postgres dbname=postgres",
                ],
                environment: ["PGPASSWORD": password])
            // pg_rewind copied the new primary's configuration; give the node its own port back.
            try await configure(oldNode, instance: instance, port: oldPrimary.port)
            try await start(oldNode, version: instance.version)
        } catch {
            context.logger.warning("pg_rewind failed; rebuilding the standby from a base backup")
            try await cloneStandby(instance, into: oldNode, port: oldPrimary.port, fromPort: standby.port, password: password)
        }
        return ProvisionResult(
            endpoints: [
                Endpoint(host: "127.0.0.1", port: standby.port, role: .primary),
                Endpoint(host: "127.0.0.1", port: oldPrimary.port, role: .standby),
            ],
            report: ["unavailable_ms": .int(unavailableMillis)])
    }

    // MARK: Backups

    /// A base backup (plain, verified with pg_verifybackup against its manifest), then packed as a gzip tarball.
    public func backup(_ context: ProviderContext, backup: Backup) async throws -> (sizeBytes: Int64, location: String) {
        let instance = context.instance
        guard backup.kind == "full" else { throw AppError(.unprocessable, "The local provider makes full (physical) backups") }
        let (_, password) = try Self.superuser(context)
        let directory = backupDirectory(backup.id)
        let plain = "\(directory)/plain"
        try await tools.makePrivateDirectory(directory)
        do {
            await context.progress(10, "pg_basebackup")
            try await tools.run(
                "pg_basebackup", version: instance.version,
                ["-h", "127.0.0.1", "-p", String(try primary(instance).port), "-U", "postgres", "-D", plain, "-X", "fetch",
                 "-c", "fast", "--manifest-checksums=CRC32C"],
                environment: ["PGPASSWORD": password])
            await context.progress(60, "pg_verifybackup")
            try await tools.run("pg_verifybackup", version: instance.version, [plain])
            await context.progress(80, "compressing")
            // gzip's fastest level: several times the throughput of the default for a few percent more bytes.
            try await tools.command("/bin/tar", ["--use-compress-program=gzip -1", "-cf", "\(directory)/base.tar.gz", "-C", plain, "."])
            try FileManager.default.removeItem(atPath: plain)
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

    /// Stops the instance, sets its data aside, unpacks the backup and starts it; if anything fails the old data is
    /// put back and started, so a failed restore loses nothing.
    public func restore(_ context: ProviderContext, from backup: Backup) async throws {
        let instance = context.instance
        let (_, password) = try Self.superuser(context)
        guard let archive = backup.location, FileManager.default.fileExists(atPath: archive) else {
            throw AppError(.conflict, "Backup \(backup.id) has no files")
        }
        let primaryEndpoint = try primary(instance)
        let node = nodeDirectory(instance.id, port: primaryEndpoint.port)
        let aside = node + ".before-restore"
        await context.progress(10, "stopping")
        for endpoint in standbys(instance) { try await stop(nodeDirectory(instance.id, port: endpoint.port), version: instance.version) }
        try await stop(node, version: instance.version)
        try? FileManager.default.removeItem(atPath: aside)
        try FileManager.default.moveItem(atPath: node, toPath: aside)
        do {
            await context.progress(30, "unpacking the backup")
            try await tools.makePrivateDirectory(node)
            try await tools.command("/bin/tar", ["-xzf", archive, "-C", node])
            for leftover in ["standby.signal", "recovery.signal", "postmaster.pid"] {
                try? FileManager.default.removeItem(atPath: "\(node)/\(leftover)")
            }
            try await configure(node, instance: instance, port: primaryEndpoint.port)
            await context.progress(60, "starting")
            try await start(node, version: instance.version)
            // The backup may come from another instance: its superuser password becomes this instance's again.
            try await withSuperuserSocket(instance) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE postgres PASSWORD \(Self.literal(password))"), logger: context.logger)
            }
        } catch {
            context.logger.warning("restore failed; putting the previous data back")
            try? await stop(node, version: instance.version)
            try? FileManager.default.removeItem(atPath: node)
            try FileManager.default.moveItem(atPath: aside, toPath: node)
            try await start(node, version: instance.version)
            for endpoint in standbys(instance) { try? await start(nodeDirectory(instance.id, port: endpoint.port), version: instance.version) }
            throw error
        }
        try? FileManager.default.removeItem(atPath: aside)
        for endpoint in standbys(instance) {
            await context.progress(80, "rebuilding the standby")
            try await cloneStandby(instance, into: nodeDirectory(instance.id, port: endpoint.port), port: endpoint.port,
                fromPort: primaryEndpoint.port, password: password)
        }
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
