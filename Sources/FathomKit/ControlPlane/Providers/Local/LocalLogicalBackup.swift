import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Logical backups of local instances: the roles (pg_dumpall --globals-only) and every database in pg_dump's
/// custom format, packed in one tarball with a manifest. They restore into a new instance, also of a newer
/// PostgreSQL version (the way to move data between versions).
extension LocalProvider {
    struct LogicalManifest: Codable {
        struct Entry: Codable {
            var database: String
            var file: String
        }
        var version: String
        var databases: [Entry]
    }

    func logicalBackup(_ context: ProviderContext, backup: Backup, directory: String) async throws -> (sizeBytes: Int64, location: String) {
        let instance = context.instance
        let (_, password) = try Self.superuser(context)
        let port = String(try primary(instance).port)
        let connection = ["-h", "127.0.0.1", "-p", port, "-U", "postgres"]
        let environment = ["PGPASSWORD": password]
        let dumps = "\(directory)/dumps"
        try await tools.makePrivateDirectory(dumps)
        await context.progress(10, "roles")
        try await tools.run("pg_dumpall", version: instance.version, connection + ["--globals-only", "-f", "\(dumps)/globals.sql"],
            environment: environment)
        var entries: [LogicalManifest.Entry] = []
        let names = try await databaseNames(context)
        for (index, name) in names.enumerated() {
            await context.progress(20 + 60 * index / max(1, names.count), "pg_dump \(name)")
            // Files are numbered: a database's name may hold characters a file name should not.
            let file = "db-\(index).dump"
            try await tools.run("pg_dump", version: instance.version, connection + ["-d", name, "-Fc", "-f", "\(dumps)/\(file)"],
                environment: environment)
            entries.append(.init(database: name, file: file))
        }
        let manifest = try JSONEncoder().encode(LogicalManifest(version: instance.version, databases: entries))
        try await tools.write(String(decoding: manifest, as: UTF8.self), to: "\(dumps)/manifest.json")
        try await context.step("backup.after-dump")
        await context.progress(85, "packing")
        // The dumps are compressed already: the tarball only packs them.
        try await tools.command("/bin/tar", ["-cf", "\(directory)/logical.tar", "-C", dumps, "."])
        try FileManager.default.removeItem(atPath: dumps)
        let size = (try FileManager.default.attributesOfItem(atPath: "\(directory)/logical.tar")[.size] as? NSNumber)?.int64Value ?? 0
        return (size, "\(directory)/logical.tar")
    }

    /// Loads a logical backup into this (new, empty) instance: roles first, then each database; the superuser
    /// keeps this instance's own password.
    func restoreLogical(_ context: ProviderContext, from backup: Backup) async throws {
        let instance = context.instance
        let (_, password) = try Self.superuser(context)
        guard let archive = backup.location, FileManager.default.fileExists(atPath: archive) else {
            throw AppError(.conflict, "Backup \(backup.id) has no files")
        }
        let scratch = "\(instanceDirectory(instance.id))/logical-restore-\(context.operationId)"
        try? FileManager.default.removeItem(atPath: scratch)
        try await tools.makePrivateDirectory(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await tools.command("/bin/tar", ["-xf", archive, "-C", scratch])
        guard let data = FileManager.default.contents(atPath: "\(scratch)/manifest.json"),
            let manifest = try? JSONDecoder().decode(LogicalManifest.self, from: data)
        else { throw AppError(.jobFailed, "Backup \(backup.id) has no readable manifest") }
        let port = String(try primary(instance).port)
        let connection = ["-h", "127.0.0.1", "-p", port, "-U", "postgres"]
        let environment = ["PGPASSWORD": password]
        await context.progress(60, "roles")
        // The new instance already has the role postgres: that one statement fails, the others apply.
        try await tools.run("psql", version: instance.version, connection + ["-d", "postgres", "-q", "-f", "\(scratch)/globals.sql"],
            environment: environment)
        try await withSuperuserSocket(instance) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE postgres PASSWORD \(Self.literal(password))"), logger: context.logger)
        }
        for entry in manifest.databases {
            await context.progress(70, "pg_restore \(entry.database)")
            let file = "\(scratch)/\(entry.file)"
            // The database postgres exists in every instance: restored into; the others are created by pg_restore.
            let target = entry.database == "postgres" ? ["-d", "postgres", "--clean", "--if-exists"] : ["-d", "postgres", "--create"]
            try await tools.run("pg_restore", version: instance.version, connection + target + ["--exit-on-error", file],
                environment: environment)
        }
    }

    /// Databases that accept connections (templates excluded).
    func databaseNames(_ context: ProviderContext) async throws -> [String] {
        let found = Mutex<[String]>([])
        try await withSuperuser(context) { connection, logger in
            let rows = try await connection.query(
                "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname", logger: logger)
            for try await name in rows.decode(String.self) { found.withLock { $0.append(name) } }
        }
        return found.withLock { $0 }
    }
}
