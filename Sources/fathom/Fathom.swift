import ArgumentParser
import FathomKit
import Foundation
import Logging

@main
struct Fathom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fathom",
        abstract: "Control plane for database fleets and the infrastructure under them.",
        subcommands: [Serve.self, Migrate.self, Users.self, Tokens.self, OpenAPI.self, RoutesCommand.self, Instances.self, Demo.self, Bench.self, CollectorCommand.self, StoreGroup.self, Version.self])
}

/// `--data-dir` and `--database-url`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Directory for the embedded database, secret key and instance data (env FATHOM_DATA_DIR).")
    var dataDir: String?

    @Option(help: "postgres://user:password@host:port/db selects PostgreSQL; default SQLite in the data directory (env FATHOM_DATABASE_URL).")
    var databaseURL: String?

    /// Defaults, then `FATHOM_*` environment, then flags.
    func configuration() throws -> FathomConfiguration {
        var configuration = FathomConfiguration()
        try configuration.apply(environment: ProcessInfo.processInfo.environment)
        if let dataDir { configuration.dataDir = dataDir }
        if let databaseURL { configuration.databaseURL = databaseURL }
        return configuration
    }

    /// Opens the store (applying migrations) for a one-shot command and closes it afterwards.
    func withServices<T>(_ body: (AppServices) async throws -> T) async throws -> T {
        let configuration = try configuration()
        JSONLogHandler.bootstrapOnce(level: ProcessInfo.processInfo.environment["FATHOM_LOG_LEVEL"] ?? "warning")
        let services = try await AppServices.open(configuration: configuration, logger: Logger(label: "fathom"))
        do {
            let result = try await body(services)
            await services.store.close()
            return result
        } catch {
            await services.store.close()
            throw error
        }
    }
}

extension JSONLogHandler {
    nonisolated(unsafe) private static var bootstrapped = false

    /// Logging can be bootstrapped once per process.
    static func bootstrapOnce(level: String) {
        guard !bootstrapped else { return }
        bootstrapped = true
        bootstrap(level: level)
    }
}

/// Turns an API-style error into a readable command-line failure.
func describe(_ error: any Error) -> String {
    if let error = error as? AppError {
        let details = (error.details ?? []).compactMap { $0["message"]?.stringValue }
        return ([error.message] + details).joined(separator: ": ")
    }
    return String(describing: error)
}

/// Writes a line to stdout unbuffered, so start-up lines reach pipes and log collectors at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

struct Instances: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Operate local instances.", subcommands: [StopAll.self])

    struct StopAll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stop-all", abstract: "Stop the servers of every local instance (`fathom serve` stopping leaves them running).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withServices { services in
                let count = try await services.makeReconciler().stopAll()
                print("Stopped \(count) local instance(s)")
            }
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Demo data.", subcommands: [Seed.self, Clear.self])

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the demo instances (provider demo) and their history; real data is untouched.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withServices { services in
                say("Removed \(try await DemoSeeder.clear(services: services)) demo instances")
            }
        }
    }

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write demo instances, databases and size history (then aggregate) into the store.")
        @Option(help: "Instances to create.") var instances = 10
        @Option(help: "Databases per instance.") var databasesPerInstance = 20
        @Option(help: "Days of daily size history, ending today.") var days = 90
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard instances > 0, databasesPerInstance > 0, (1...3650).contains(days) else {
                throw ValidationError("--instances and --databases-per-instance must be positive; --days 1-3650")
            }
        }

        func run() async throws {
            try await store.withServices { services in
                _ = try await services.identity.bootstrapAdmin()
                let started = ContinuousClock.now
                let result = try await DemoSeeder.seed(
                    services: services, instances: instances, databasesPerInstance: databasesPerInstance, days: days) { say($0) }
                say("Seeded \(result.instances) instances, \(result.databases) databases, \(result.samples) samples in \(ContinuousClock.now - started)")
            }
        }
    }
}
