import ArgumentParser
import FathomKit
import Foundation
import Logging

/// `fathom store backup|restore`.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Back up, restore and check Fathom's own store.", subcommands: [Backup.self, Restore.self, StoreCheck.self])

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent copy of the store to FILE while servers keep serving (SQLite: VACUUM INTO; PostgreSQL: pg_dump, custom format).")
        @Argument(help: "The backup file to create (never overwritten; written 0600).") var file: String
        @Flag(help: "Also copy the master key to FILE.key (0600). Keep it apart from the backup.") var withKey = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let configuration = try store.configuration()
            JSONLogHandler.bootstrapOnce(level: "warning")
            let report = try await StoreBackup.backup(
                configuration: configuration, to: file, withKey: withKey, logger: Logger(label: "fathom"))
            say("Backed up the \(report.backend.rawValue) store (schema version \(report.schemaVersion)) to \(report.file), \(report.bytes) bytes.")
            FileHandle.standardError.write(Data(("WARNING: " + report.keyNotice + "\n").utf8))
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the store with a backup. Refuses while a `fathom serve` holds the data directory or (PostgreSQL) anyone is connected to the database.")
        @Argument(help: "A file written by `fathom store backup`.") var file: String
        @Flag(help: "Replace a store that holds data (SQLite: the old file is kept as fathom.sqlite.replaced-…).") var force = false
        @Flag(help: "Also install FILE.key as the data directory's master key.") var withKey = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let configuration = try store.configuration()
            JSONLogHandler.bootstrapOnce(level: "warning")
            let report = try await StoreBackup.restore(
                configuration: configuration, from: file, force: force, withKey: withKey, logger: Logger(label: "fathom"))
            say("Restored the \(report.backend.rawValue) store from \(file): integrity and foreign keys checked, schema version \(report.schemaVersion) (this Fathom: \(Migrations.latestVersion); newer migrations run at the next start).")
            if let replaced = report.replacedFile { say("The replaced store was kept as \(replaced).") }
            if report.keyInstalled { say("Installed the master key from \(file).key.") }
            let keyFile = URL(fileURLWithPath: configuration.dataDir).appendingPathComponent("secret.key").path
            if (configuration.secretKey ?? "").isEmpty, !FileManager.default.fileExists(atPath: keyFile) {
                FileHandle.standardError.write(Data("WARNING: no master key at \(keyFile): put the backed-up key there (or set FATHOM_SECRET_KEY) before the first start, or stored secrets will not open.\n".utf8))
            }
        }
    }
}
