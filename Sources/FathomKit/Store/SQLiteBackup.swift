import Foundation
import Logging

/// Backup and restore of the embedded SQLite store.
struct SQLiteBackup {
    let path: String
    let logger: Logger

    /// `VACUUM INTO` a private temporary file beside the target, check the copy, then rename it into place: a reader
    /// snapshot, so a serving (and writing) server neither waits nor is waited for, and no half-written file is ever
    /// left under the backup's name.
    func backup(to file: String) async throws -> StoreBackup.BackupReport {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreBackupError.missingFile(path) }
        let partial = file + ".partial-\(UUID().uuidString.prefix(8))"
        try createPrivateFile(partial)
        do {
            let store = try await Store.open(url: path, logger: logger)
            do {
                try await store.vacuumInto(partial)
                await store.close()
            } catch {
                await store.close()
                throw error
            }
            let version = try await checked(partial)
            try FileManager.default.moveItem(atPath: partial, toPath: file)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            return .init(backend: .sqlite, file: file, bytes: bytes ?? 0, schemaVersion: version, keyFile: nil, keyNotice: "")
        } catch {
            removeDatabase(partial)
            throw error
        }
    }

    /// Checks a private copy of the backup, keeps the current store under another name, and renames the copy into
    /// place. The caller holds the data directory's exclusive lock. Crash-safe: the old store is first checkpointed
    /// (its WAL emptied into the file) and kept by a second hard link, and the copy replaces it in one `rename`, so a
    /// kill at any moment leaves either the whole old store or the whole restored one at `path`, never neither.
    func restore(from file: String, force: Bool) async throws -> StoreBackup.RestoreReport {
        let manager = FileManager.default
        let existing = (try? manager.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if existing > 0, !force { throw StoreBackupError.notEmpty("a store exists at \(path)") }
        let incoming = path + ".restore-\(UUID().uuidString.prefix(8))"
        var replaced: String?
        do {
            try manager.copyItem(atPath: file, toPath: incoming)
            try StoreFiles.secureFiles([incoming])
            _ = try await checked(incoming)
            if manager.fileExists(atPath: path) {
                let old = try await Store.open(url: path, logger: logger)
                do {
                    try await old.checkpointWAL()
                    await old.close()
                } catch {
                    await old.close()
                    throw error
                }
                // The old store is kept, never deleted.
                let aside = path + ".replaced-\(Int(Date().timeIntervalSince1970))"
                try manager.linkItem(atPath: path, toPath: aside)
                replaced = aside
                // Empty after the checkpoint (the file alone is the whole store); a WAL left beside the restored file
                // would be replayed into it.
                for suffix in ["-wal", "-shm"] { try? manager.removeItem(atPath: path + suffix) }
            }
            guard rename(incoming, path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            removeDatabase(incoming)
            throw error
        }
        let version = try await checked(path)
        try StoreFiles.secureDatabaseFiles(path)
        return .init(backend: .sqlite, schemaVersion: version, replacedFile: replaced, keyInstalled: false)
    }

    /// Opens a SQLite file and runs the integrity checks; its schema version.
    private func checked(_ database: String) async throws -> Int {
        let store: Store
        do {
            store = try await Store.open(url: database, logger: logger)
        } catch {
            throw StoreBackupError.notABackup(database, "SQLite cannot open it (\(error))")
        }
        do {
            let version = try await StoreIntegrity.check(store)
            await store.close()
            return version
        } catch let error as StoreBackupError {
            await store.close()
            throw error
        } catch {
            await store.close()
            throw StoreBackupError.failedCheck(String(describing: error))
        }
    }

    private func createPrivateFile(_ file: String) throws {
        guard FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: StoreFiles.fileMode])
        else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: file]) }
    }

    private func removeDatabase(_ file: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: file + suffix) }
    }
}
