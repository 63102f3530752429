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
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            var configuration = FathomConfiguration()
            configuration.dataDir = directory.path
            configuration.databaseURL = databaseURL
            JSONLogHandler.bootstrapOnce(level: "error")
            let services = try await AppServices.open(configuration: configuration, logger: Logger(label: "bench"))
            say("backend=\(services.store.backend.rawValue)")
            do {
                _ = try await services.identity.bootstrapAdmin()
                try await AccountsBenchmark.run(
                    services: services, accounts: accounts, rules: rules, roles: roles, grantsPerRole: grantsPerRole, sync: !noSync
                ) { say($0) }
            } catch {
                _ = try? await services.makeReconciler().stopAll()
                await services.store.close()
                throw error
            }
            await services.store.close()
        }
    }
}
