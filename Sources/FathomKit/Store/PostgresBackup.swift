import Foundation
import Logging

/// Backup and restore of a PostgreSQL store with the PostgreSQL client tools (`pg_dump`, `pg_restore`).
struct PostgresBackup {
    let url: String
    let logger: Logger

    /// `pg_dump --format=custom` (one repeatable-read snapshot: consistent while servers write) into a private
    /// temporary file, listed back with `pg_restore --list` as a check, then renamed into place.
    func backup(to file: String) async throws -> StoreBackup.BackupReport {
        let version = try await withStore { store in try await StoreIntegrity.check(store) }
        let partial = file + ".partial-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: StoreFiles.fileMode])
        else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: partial]) }
        do {
            try await run("pg_dump", ["--format=custom", "--file", partial, "--dbname", connection.url])
            _ = try await list(partial)
            try FileManager.default.moveItem(atPath: partial, toPath: file)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        return .init(backend: .postgres, file: file, bytes: bytes ?? 0, schemaVersion: version, keyFile: nil, keyNotice: "")
    }

    /// Refuses while anyone else is connected to the database, and a database holding tables unless `force` (then
    /// `pg_restore --clean` drops what the archive recreates). One transaction: a failed restore changes nothing.
    func restore(from file: String, force: Bool) async throws -> StoreBackup.RestoreReport {
        let contents = try await list(file)
        guard contents.contains(" TABLE ") && contents.contains("schema_migrations") else {
            throw StoreBackupError.notABackup(file, "a pg_dump archive without Fathom's schema_migrations table")
        }
        let (others, tables) = try await withStore { store in (try await store.otherConnections(), try await store.tableCount()) }
        guard others == 0 else { throw StoreBackupError.inUse("\(others) other session(s) connected to the database") }
        if tables > 0, !force { throw StoreBackupError.notEmpty("the database already has \(tables) table(s)") }
        var arguments = ["--dbname", connection.url, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if force { arguments += ["--clean", "--if-exists"] }
        try await run("pg_restore", arguments + [file])
        let version = try await withStore { store in try await StoreIntegrity.check(store) }
        return .init(backend: .postgres, schemaVersion: version, replacedFile: nil, keyInstalled: false)
    }

    /// The archive's table of contents; fails for anything pg_restore cannot read.
    private func list(_ file: String) async throws -> String {
        do {
            return try await run("pg_restore", ["--list", file])
        } catch StoreBackupError.toolFailed(_, let output) {
            throw StoreBackupError.notABackup(file, "pg_restore cannot read it (\(output))")
        }
    }

    private func withStore<T: Sendable>(_ body: (Store) async throws -> T) async throws -> T {
        let store = try await Store.open(url: url, logger: logger)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    /// The URL without its password, and the password for `PGPASSWORD`: a password in the arguments would be shown
    /// to every user of the host by `ps`.
    private var connection: (url: String, password: String?) {
        guard var components = URLComponents(string: url) else { return (url, nil) }
        let password = components.password?.removingPercentEncoding
        components.password = nil
        return (components.string ?? url, password)
    }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) async throws -> String {
        guard let executable = Self.locate(tool) else { throw StoreBackupError.toolMissing(tool) }
        var environment = ProcessInfo.processInfo.environment
        if let password = connection.password { environment["PGPASSWORD"] = password }
        let result = try await Subprocess.run(executable, arguments, environment: environment)
        guard result.status == 0 else {
            throw StoreBackupError.toolFailed(tool, result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result.output
    }

    /// The newest installed client (a dump needs a pg_dump at least as new as the server).
    static func locate(_ tool: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment["FATHOM_PG_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
