@testable import FathomKit
import Foundation
import Logging
import SQLKit
import Testing

/// Issue 19, part 5: `fathom store backup` / `restore` on both backends.
@Suite(.timeLimit(.minutes(6))) struct StoreBackupTests {
    private let logger: Logger = {
        var logger = Logger(label: "backup-test")
        logger.logLevel = .critical
        return logger
    }()

    /// A backup taken while another task keeps committing rows restores, into a fresh store, to one that passes the
    /// checks and holds every row committed before the backup began.
    @Test(arguments: Backends.all)
    func backupUnderWriteLoadRestoresEveryCommittedRow(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let identity = harness.services.identity
            let committed = Recorder<String>()
            let writer = Task {
                var next = 0
                while !Task.isCancelled {
                    let name = "writer-\(next)"
                    _ = try await identity.createUser(username: name, password: "password-123", role: .viewer)
                    await committed.record(name)
                    next += 1
                }
            }
            #expect(await waitUntil(timeout: .seconds(30)) { await committed.values.count >= 25 })
            let before = Set(await committed.values)
            let file = folder + "/store.backup"
            let report = try await StoreBackup.backup(configuration: harness.services.configuration, to: file, logger: logger)
            let afterBackup = await committed.values.count
            writer.cancel()
            _ = await writer.result
            #expect(afterBackup >= before.count)
            #expect(report.schemaVersion == Migrations.latestVersion)
            #expect(try mode(file) == 0o600)
            #expect(report.keyNotice.contains("secret.key"), "the notice names the key file to keep")

            let target = try await freshConfiguration(backend, folder: folder)
            let restored = try await StoreBackup.restore(configuration: target, from: file, logger: logger)
            #expect(restored.schemaVersion == Migrations.latestVersion)
            let store = try await Store.open(url: target.resolvedDatabaseURL, logger: logger)
            let problems = try await store.integrityProblems()
            let names = Set(try await usernames(store))
            await store.close()
            #expect(problems.isEmpty, "\(problems)")
            #expect(before.isSubset(of: names), "\(before.subtracting(names).count) committed rows missing")
            if backend == .sqlite { #expect(try mode(target.resolvedDatabaseURL) == 0o600) }
        }
    }

    /// A store in use is never replaced: SQLite while a server holds the data directory; PostgreSQL while anyone else
    /// is connected. A store holding data needs --force (the old SQLite file is kept).
    @Test(arguments: Backends.all)
    func restoreRefusesAStoreInUseOrHoldingData(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let file = folder + "/store.backup"
            _ = try await StoreBackup.backup(configuration: harness.services.configuration, to: file, logger: logger)
            let target = try await freshConfiguration(backend, folder: folder)
            _ = try await StoreBackup.restore(configuration: target, from: file, logger: logger)

            // In use: the lock `fathom serve` holds, or (PostgreSQL) a connected session.
            do {
                let serving = try #require(try await DataDirectoryLock.acquire(dataDir: target.dataDir, mode: .shared))
                do {
                    _ = try await StoreBackup.restore(configuration: target, from: file, force: true, logger: logger)
                    Issue.record("restored over a data directory a server holds")
                } catch let error as StoreBackupError {
                    guard case .inUse = error else { throw error }
                }
                withExtendedLifetime(serving) {}
            }
            if backend == .postgres {
                let client = try await Store.open(url: target.resolvedDatabaseURL, logger: logger)
                _ = try await usernames(client)
                do {
                    _ = try await StoreBackup.restore(configuration: target, from: file, force: true, logger: logger)
                    Issue.record("restored over a connected session")
                } catch let error as StoreBackupError {
                    guard case .inUse = error else { throw error }
                }
                await client.close()
            }

            // Holding data: refused without --force, replaced with it.
            do {
                _ = try await StoreBackup.restore(configuration: target, from: file, logger: logger)
                Issue.record("replaced a store holding data without --force")
            } catch let error as StoreBackupError {
                guard case .notEmpty = error else { throw error }
            }
            let forced = try await StoreBackup.restore(configuration: target, from: file, force: true, logger: logger)
            #expect(forced.schemaVersion == Migrations.latestVersion)
            if backend == .sqlite {
                let kept = try #require(forced.replacedFile)
                #expect(FileManager.default.fileExists(atPath: kept))
            }
        }
    }

    /// A missing file, a file that is no backup and a backup of the other backend give a clear error and change
    /// nothing.
    @Test(arguments: Backends.all)
    func badInputIsRefusedAndChangesNothing(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let configuration = harness.services.configuration
            _ = try await harness.createUser("kept", role: .viewer)
            let rowsBefore = try await usernames(harness.services.store).sorted()

            let garbage = folder + "/garbage"
            try Data("not a backup at all".utf8).write(to: URL(fileURLWithPath: garbage))
            let fakeDump = folder + "/fake.dump"
            try Data("PGDMP but nothing after it".utf8).write(to: URL(fileURLWithPath: fakeDump))
            // A real SQLite Fathom store, for the PostgreSQL side's wrong-backend case.
            let sqliteFile = folder + "/other.sqlite"
            let other = try await Store.open(url: sqliteFile, logger: logger)
            _ = try await Migrations.run(on: other)
            await other.close()

            var cases: [(String, (StoreBackupError) -> Bool)] = [
                (folder + "/missing", { if case .missingFile = $0 { true } else { false } }),
                (garbage, { if case .notABackup = $0 { true } else { false } }),
            ]
            if backend == .sqlite {
                cases.append((fakeDump, { $0 == .wrongBackend(file: .postgres, store: .sqlite) }))
            } else {
                cases.append((sqliteFile, { $0 == .wrongBackend(file: .sqlite, store: .postgres) }))
                cases.append((fakeDump, { if case .notABackup = $0 { true } else { false } }))
            }
            for (file, expected) in cases {
                do {
                    _ = try await StoreBackup.restore(configuration: configuration, from: file, force: true, logger: logger)
                    Issue.record("\(file) was restored")
                } catch let error as StoreBackupError {
                    #expect(expected(error), "\(file): \(error)")
                    #expect(!error.description.isEmpty)
                }
            }
            #expect(try await usernames(harness.services.store).sorted() == rowsBefore)
            // A backup never overwrites a file.
            await #expect(throws: StoreBackupError.targetExists(garbage)) {
                try await StoreBackup.backup(configuration: configuration, to: garbage, logger: self.logger)
            }
        }
    }

    /// `withKey` writes the master key beside the backup (0600) and a restore installs it in a fresh data directory.
    @Test func masterKeyTravelsOnlyWhenAsked() async throws {
        try await Harness.with(.sqlite) { harness in
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let file = folder + "/store.backup"
            let report = try await StoreBackup.backup(
                configuration: harness.services.configuration, to: file, withKey: true, logger: logger)
            let keyCopy = try #require(report.keyFile)
            #expect(try mode(keyCopy) == 0o600)
            let target = try await freshConfiguration(.sqlite, folder: folder)
            let restored = try await StoreBackup.restore(configuration: target, from: file, withKey: true, logger: logger)
            #expect(restored.keyInstalled)
            let original = FileManager.default.contents(atPath: harness.services.configuration.dataDir + "/secret.key")
            #expect(FileManager.default.contents(atPath: target.dataDir + "/secret.key") == original)
            #expect(try mode(target.dataDir + "/secret.key") == 0o600)
        }
    }

    private func freshConfiguration(_ backend: Store.Backend, folder: String) async throws -> FathomConfiguration {
        var configuration = FathomConfiguration()
        configuration.dataDir = folder + "/restored-\(UUID().uuidString.prefix(6))"
        if backend == .postgres { configuration.databaseURL = try await TestPostgres.createDatabase() }
        return configuration
    }
}

private func usernames(_ store: Store) async throws -> [String] {
    try await store.read { db in
        try await db.raw("SELECT username FROM users").all().map { try $0.decode(column: "username", as: String.self) }
    }
}

private func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-backup-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? 0) & 0o777
}
