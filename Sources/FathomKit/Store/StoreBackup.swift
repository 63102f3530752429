import Foundation
import Logging

/// `fathom store backup` and `fathom store restore`: a consistent copy of the store taken while a server serves
/// (SQLite `VACUUM INTO` from a read snapshot; PostgreSQL `pg_dump` in custom format), and its restore into a
/// store nobody is using, checked before and after.
///
/// The master key never travels inside the backup: secrets in it open only with the key the store was written
/// under (`<dataDir>/secret.key` or `FATHOM_SECRET_KEY`). `withKey` writes a copy beside the backup (`FILE.key`,
/// 0600) and restores it from there.
public enum StoreBackup {
    /// What a backup wrote.
    public struct BackupReport: Sendable {
        public var backend: Store.Backend
        public var file: String
        public var bytes: Int
        public var schemaVersion: Int
        /// Where the copy of the master key went, when asked for.
        public var keyFile: String?
        /// What to keep beside the backup for its secrets to open.
        public var keyNotice: String
    }

    /// What a restore replaced and found.
    public struct RestoreReport: Sendable {
        public var backend: Store.Backend
        public var schemaVersion: Int
        /// Where the replaced SQLite file was moved (kept, never deleted).
        public var replacedFile: String?
        public var keyInstalled: Bool
    }

    /// The kind of file a backup is, from its first bytes.
    enum FileKind: Equatable {
        case sqlite, postgresDump, other

        init(path: String) throws {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreBackupError.missingFile(path) }
            defer { try? handle.close() }
            let head = (try? handle.read(upToCount: 16)) ?? Data()
            if head.starts(with: Data("SQLite format 3\0".utf8)) {
                self = .sqlite
            } else if head.starts(with: Data("PGDMP".utf8)) {
                self = .postgresDump
            } else {
                self = .other
            }
        }
    }

    public static func backup(
        configuration: FathomConfiguration, to file: String, withKey: Bool = false, logger: Logger
    ) async throws -> BackupReport {
        let file = URL(fileURLWithPath: file).path
        guard !FileManager.default.fileExists(atPath: file) else { throw StoreBackupError.targetExists(file) }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreBackupError.missingFile(directory)
        }
        let key = try MasterKeyCopy(configuration: configuration)
        if withKey { try key.requireFile() }
        let url = configuration.resolvedDatabaseURL
        var report: BackupReport
        if isPostgres(url) {
            report = try await PostgresBackup(url: url, logger: logger).backup(to: file)
        } else {
            report = try await SQLiteBackup(path: url, logger: logger).backup(to: file)
        }
        if withKey {
            report.keyFile = try key.copy(to: file + ".key")
        }
        report.keyNotice = key.notice(copiedTo: report.keyFile)
        return report
    }

    public static func restore(
        configuration: FathomConfiguration, from file: String, force: Bool = false, withKey: Bool = false, logger: Logger
    ) async throws -> RestoreReport {
        let file = URL(fileURLWithPath: file).path
        let kind = try FileKind(path: file)
        let url = configuration.resolvedDatabaseURL
        let backend: Store.Backend = isPostgres(url) ? .postgres : .sqlite
        switch (kind, backend) {
        case (.other, _): throw StoreBackupError.notABackup(file, "neither a SQLite database nor a pg_dump archive")
        case (.sqlite, .postgres): throw StoreBackupError.wrongBackend(file: .sqlite, store: .postgres)
        case (.postgresDump, .sqlite): throw StoreBackupError.wrongBackend(file: .postgres, store: .sqlite)
        default: break
        }
        // Every check that can refuse runs before anything is changed.
        let key = try MasterKeyCopy(configuration: configuration)
        if withKey { try key.checkInstall(from: file + ".key", force: force) }
        // Held until the restore is done: a server starting meanwhile finds the data directory taken.
        guard let lock = try await DataDirectoryLock.acquire(dataDir: configuration.dataDir, mode: .exclusive) else {
            throw StoreBackupError.inUse("a `fathom serve` is running on the data directory \(configuration.dataDir)")
        }
        defer { withExtendedLifetime(lock) {} }
        var report: RestoreReport
        if backend == .postgres {
            report = try await PostgresBackup(url: url, logger: logger).restore(from: file, force: force)
        } else {
            report = try await SQLiteBackup(path: url, logger: logger).restore(from: file, force: force)
        }
        if withKey { report.keyInstalled = try key.install(from: file + ".key") }
        return report
    }

    static func isPostgres(_ url: String) -> Bool { url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") }
}

/// Why a backup or restore refused or failed; each says what to do.
public enum StoreBackupError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case targetExists(String)
    case notABackup(String, String)
    case wrongBackend(file: Store.Backend, store: Store.Backend)
    case inUse(String)
    case notEmpty(String)
    case failedCheck(String)
    case newerSchema(backup: Int, supported: Int)
    case toolMissing(String)
    case toolFailed(String, String)
    case key(String)

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): no such file or directory"
        case .targetExists(let path): return "\(path) exists; a backup never overwrites a file"
        case .notABackup(let path, let why): return "\(path) is not a Fathom store backup: \(why)"
        case .wrongBackend(let file, let store):
            return "the backup is a \(file.rawValue) store but the target store is \(store.rawValue); restore it into a \(file.rawValue) store"
        case .inUse(let what): return "the store is in use (\(what)); stop it first, nothing was changed"
        case .notEmpty(let what): return "\(what); --force replaces it, nothing was changed"
        case .failedCheck(let what): return "integrity check failed: \(what)"
        case .newerSchema(let backup, let supported):
            return "the backup is at schema version \(backup) but this Fathom knows up to \(supported); restore it with a newer Fathom"
        case .toolMissing(let tool): return "\(tool) not found (install the postgresql client, or set FATHOM_PG_BIN)"
        case .toolFailed(let tool, let output): return "\(tool) failed: \(output)"
        case .key(let why): return why
        }
    }
}

/// The checks a store passes before a backup is written and after a restore: the database's own consistency and
/// a schema this Fathom can run.
enum StoreIntegrity {
    static func check(_ store: Store) async throws -> Int {
        let problems = try await store.integrityProblems()
        guard problems.isEmpty else { throw StoreBackupError.failedCheck(problems.prefix(5).joined(separator: "; ")) }
        guard let version = try? await Migrations.currentVersion(of: store) else {
            throw StoreBackupError.failedCheck("no schema_migrations table: not a Fathom store")
        }
        guard version <= Migrations.latestVersion else {
            throw StoreBackupError.newerSchema(backup: version, supported: Migrations.latestVersion)
        }
        return version
    }
}
