import ArgumentParser
import FathomKit
import Foundation
import Logging

extension Bench {
    struct Accounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Account classification, cached permission lookups and account sync of a real PostgreSQL server.")

        @Option(help: "Synthetic accounts to classify.") var accounts = 100_000
        @Option(help: "Classification rules.") var rules = 30
        @Option(help: "Roles on the synced server.") var roles = 5_000
        @Option(help: "Table grants per role on the synced server.") var grantsPerRole = 10
        @Flag(help: "Skip the sync part (it starts a local PostgreSQL instance).") var noSync = false
        @Option(help: "postgres://… to measure PostgreSQL; default a throw-away SQLite store.") var databaseURL: String?

        func run() async throws {
            try await Bench.withThrowawayServices(databaseURL: databaseURL) { services in
                say("backend=\(services.store.backend.rawValue)")
                try await AccountsBenchmark.run(
                    services: services, accounts: accounts, rules: rules, roles: roles, grantsPerRole: grantsPerRole, sync: !noSync
                ) { say($0) }
            }
        }
    }
}

extension Bench {
    struct Backups: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A scheduled backup under full pgbench load (throughput before and during), then a point-in-time restore after steady load.")

        @Option(help: "Size of the pgbench database, in MB.") var sizeMB = 1024
        @Option(help: "pgbench clients during the scheduled backup.") var clients = 4
        @Option(help: "Minutes of steady load (WAL) between the base backup and the restore target.") var walMinutes = 10.0
        @Option(help: "Transactions per second of the steady load.") var walRate = 400

        func run() async throws {
            var settings = BackupBenchmark.Settings()
            (settings.sizeMB, settings.clients, settings.walMinutes, settings.walRate) = (sizeMB, clients, walMinutes, walRate)
            try await Bench.withThrowawayServices { services in
                try await BackupBenchmark.run(services: services, settings: settings) { say($0) }
            }
        }
    }
}

extension Bench {
    struct Assets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fill a store with assets from overlapping sources and time duplicate detection (scripts/bench-assets.sh serves it).")

        @Option(help: "Assets in all, spread over the sources.") var assets = 100_000
        @Option(help: "Exec sources, each seeing its share (a tenth shared with the previous source).") var sources = 3
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withServices { services in
                say("backend=\(services.store.backend.rawValue)")
                try await AssetBenchmark.seed(services: services, assets: assets, sources: sources) { say($0) }
            }
        }
    }
}

extension Bench {
    struct StorePath: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store",
            abstract: "The store's CPU cost per statement: a trivial statement and a 20-row page, from concurrent callers.")

        @Option(help: "Concurrent callers.") var workers = 32
        @Option(help: "Seconds per part.") var seconds = 5.0
        @Option(help: "postgres://… to measure PostgreSQL; default a throw-away SQLite store.") var databaseURL: String?

        func run() async throws {
            try await Bench.withThrowawayServices(databaseURL: databaseURL) { services in
                say("backend=\(services.store.backend.rawValue) workers=\(workers)")
                try await StoreBenchmark.run(store: services.store, workers: workers, seconds: seconds) { say($0) }
            }
        }
    }
}
