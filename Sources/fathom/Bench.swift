import ArgumentParser
import FathomKit
import Foundation
import Logging
import Synchronization

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Fathom's throughput.", subcommands: [Jobs.self, Instances.self, Backups.self, Aggregate.self, Ingest.self, Assets.self, VCenter.self, Accounts.self, StorePath.self])

    /// Services on a throw-away data directory (and `databaseURL`'s store if given), with the admin user; local
    /// instances still running when `body` fails are stopped, so a failed benchmark leaves no server behind.
    static func withThrowawayServices(databaseURL: String? = nil, _ body: (AppServices) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = FathomConfiguration()
        configuration.dataDir = directory.path
        configuration.databaseURL = databaseURL
        JSONLogHandler.bootstrapOnce(level: "error")
        let services = try await AppServices.open(configuration: configuration, logger: Logger(label: "bench"))
        do {
            _ = try await services.identity.bootstrapAdmin()
            try await body(services)
        } catch {
            _ = try? await services.makeReconciler().stopAll()
            await services.store.close()
            throw error
        }
        await services.store.close()
    }

    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Empty-job throughput of the durable queue (enqueue, claim, run, record).")

        @Option(help: "Jobs to run.") var count = 20_000
        @Option(help: "Concurrent jobs in the runner.") var workers = 32
        @Option(help: "postgres://… to measure PostgreSQL; default a throw-away SQLite store.") var databaseURL: String?

        func run() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            var configuration = FathomConfiguration()
            configuration.dataDir = directory.path
            configuration.databaseURL = databaseURL
            configuration.workers = workers
            JSONLogHandler.bootstrapOnce(level: "error")
            let services = try await AppServices.open(configuration: configuration, logger: Logger(label: "bench"))
            let kind = "bench.noop.\(UUID().uuidString.prefix(8))"
            let done = Counter()
            services.jobKinds.register(JobKind(kind) { _ in
                done.increment()
                return nil
            })

            let enqueueStart = ContinuousClock.now
            var remaining = count
            while remaining > 0 {
                let batch = min(1000, remaining)
                try await services.enqueueBatch((0..<batch).map { _ in NewJob(kind: kind) })
                remaining -= batch
            }
            let enqueueTime = ContinuousClock.now - enqueueStart

            let runStart = ContinuousClock.now
            let loops = services.runner.start()
            while done.value < count { try await Task.sleep(for: .milliseconds(5)) }
            // Wait until every outcome is recorded in the store, not only until the handlers ran.
            while try await services.jobs.list(kind: kind, state: .succeeded, offset: 0, limit: 1).total < count {
                try await Task.sleep(for: .milliseconds(5))
            }
            let runTime = ContinuousClock.now - runStart
            await services.runner.stop(loops)
            await services.store.close()

            func rate(_ duration: Duration) -> Int {
                Int(Double(count) / (Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18))
            }
            say("backend=\(services.store.backend.rawValue) jobs=\(count) workers=\(workers)")
            say("enqueue: \(rate(enqueueTime)) jobs/s (batches of 1000)")
            say("run:     \(rate(runTime)) jobs/s (claim + run + record outcome), \(runTime)")
        }
    }
}

extension Bench {
    struct Instances: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Local provider timings: create, HA create, failover, backup and restore throughput.")

        @Option(help: "Size of the database to back up and restore, in MB.") var sizeMB = 1024

        func run() async throws {
            try await Bench.withThrowawayServices { services in
                try await InstanceBenchmark.run(services: services, sizeMB: sizeMB) { say($0) }
            }
        }
    }
}

extension Bench {
    struct Aggregate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a full re-aggregation of every period of every database and instance in the store.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withServices { services in
                let samples = try await services.store.read { db in
                    try await db.raw("SELECT COUNT(*) AS n FROM database_size_samples").first()?.decode(column: "n", as: Int.self) ?? 0
                }
                let started = ContinuousClock.now
                let counts = try await services.aggregator.aggregateAll()
                let elapsed = ContinuousClock.now - started
                say("backend=\(services.store.backend.rawValue) samples=\(samples)")
                say("full re-aggregation (weekly, monthly, quarterly; databases and instances): \(elapsed)")
                say("rows written: \(counts.databases) database, \(counts.instances) instance")
            }
        }
    }
}

extension Bench {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Asset-ledger ingest: a generated collect run twice (then unchanged) through collector, parse and store.")

        @Option(help: "Assets in the generated collect.") var assets = 50_000
        @Option(help: "Relations in the generated collect.") var relations = 100_000
        @Option(help: "postgres://… to measure PostgreSQL; default a throw-away SQLite store.") var databaseURL: String?

        func run() async throws {
            try await Bench.withThrowawayServices(databaseURL: databaseURL) { services in
                let figures = try await IngestBenchmark.run(services: services, assets: assets, relations: relations) { say($0) }
                say("backend=\(services.store.backend.rawValue) assets=\(figures.assets) relations=\(figures.relations) document=\(figures.documentBytes / 1_048_576) MiB")
                say("first collect (new assets):     \(figures.firstRun)")
                say("repeat collect (nothing changed): \(figures.repeatRun)")
                say("peak RSS: \(figures.peakRSSBytes / 1_048_576) MiB (during the collects; generating the document before them: \(figures.generatorPeakRSSBytes / 1_048_576) MiB)")
            }
        }
    }
}

extension Bench {
    struct VCenter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vcenter",
            abstract: "A vcenter source collected twice (then unchanged) through the built-in collector and ingest (scripts/bench-vcenter.sh).")

        @Option(help: "The vCenter (or simulator) endpoint, e.g. http://127.0.0.1:8989/sdk.") var endpoint: String
        @Option var username = "user"
        @Option var password = "pass"
        @Option(help: "Objects per RetrievePropertiesEx answer.") var pageSize = 500

        func run() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            var configuration = FathomConfiguration()
            configuration.dataDir = directory.path
            JSONLogHandler.bootstrapOnce(level: "error")
            let services = try await AppServices.open(configuration: configuration, logger: Logger(label: "bench"))
            do {
                let figures = try await VCenterBenchmark.run(
                    services: services, endpoint: endpoint, username: username, password: password, pageSize: pageSize) { say($0) }
                say("backend=\(services.store.backend.rawValue) assets=\(figures.assets) relations=\(figures.relations)")
                say("first collect (new assets):       \(figures.firstRun)")
                say("repeat collect (nothing changed): \(figures.repeatRun)")
                say("peak RSS (collector and ledger in one process): \(figures.peakRSSBytes / 1_048_576) MiB")
            } catch {
                await services.store.close()
                throw error
            }
            await services.store.close()
        }
    }
}

/// A thread-safe counter for the benchmark's handler.
final class Counter: Sendable {
    private let storage = Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
