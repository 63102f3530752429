import ArgumentParser
import FathomKit
import Foundation
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Fathom server (API, console and workers).")

    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 8080
    @Option(help: "api (HTTP only), worker (jobs and schedules only) or all.") var role: String = "all"
    @Option(help: "Concurrent jobs in this process (env FATHOM_WORKERS; default: cores).") var workers: Int?
    @Option(help: "Open HTTP connections at most; at the limit the quietest idle one is closed (env FATHOM_MAX_CONNECTIONS; default 1024).")
    var maxConnections: Int?
    @Option(help: "Seconds a client has to finish a request head once it started it (env FATHOM_HEADER_TIMEOUT_SECONDS; default 10).")
    var headerTimeout: Int?
    @Option(help: "Seconds an idle keep-alive connection is kept open (env FATHOM_IDLE_TIMEOUT_SECONDS; default 60).")
    var idleTimeout: Int?
    @OptionGroup var store: StoreOptions

    func run() async throws {
        var configuration = try store.configuration()
        configuration.host = host
        configuration.port = port
        guard let serverRole = FathomConfiguration.ServerRole(rawValue: role) else {
            throw ValidationError("--role must be api, worker or all")
        }
        configuration.role = serverRole
        if let workers {
            guard workers > 0 else { throw ValidationError("--workers must be positive") }
            configuration.workers = workers
        }
        try applyConnectionOptions(to: &configuration)
        // Held shared while serving: `fathom store restore` takes it exclusive, so it never replaces a store in use.
        guard let dataDirLock = try await DataDirectoryLock.acquire(dataDir: configuration.dataDir, mode: .shared) else {
            throw ValidationError("a `fathom store restore` is running on \(configuration.dataDir)")
        }
        defer { withExtendedLifetime(dataDirLock) {} }
        JSONLogHandler.bootstrapOnce(level: configuration.logLevel)
        let logger = Logger(label: "fathom")
        // Room for every connection plus the store, subprocesses and local instances' sockets.
        let descriptors = DescriptorLimit.raise(toAtLeast: configuration.maxConnections + 512)
        if descriptors < configuration.maxConnections + 512 {
            logger.warning(
                "open-file limit below --max-connections plus headroom: raise `ulimit -n` or lower --max-connections",
                metadata: ["limit": "\(descriptors)", "max_connections": "\(configuration.maxConnections)"])
        }
        let services = try await AppServices.open(configuration: configuration, logger: logger)
        let admin = try await services.identity.bootstrapAdmin()
        if admin.created {
            if let password = admin.generatedPassword {
                say("Created user 'admin' with password: \(password)")
                say("(shown once; change it with PUT /api/v1/auth/password or `fathom users set-password admin`)")
            } else {
                say("Created user 'admin' with the password from FATHOM_ADMIN_PASSWORD")
            }
        }
        let backend = services.store.backend.rawValue
        let host = configuration.host
        let app = buildApplication(services: services) { boundPort in
            say("Fathom \(FathomVersion.current) listening on http://\(host):\(boundPort) (store: \(backend), role: \(serverRole.rawValue))")
        }
        do {
            try await app.runService()
        } catch {
            await services.store.close()
            throw error
        }
        // What stopped, and what was left running and why.
        let left = await services.localInstancesLeftRunning()
        var stopped = ["HTTP server"]
        if serverRole != .api { stopped += ["job runner (running jobs go back to the queue)", "scheduler", "reconciler"] }
        logger.notice(
            "fathom stopped",
            metadata: ["stopped": .array(stopped.map { .string($0) }), "local_instances_left_running": .array(left.map { .string($0) })])
        say("Fathom stopped: \(stopped.joined(separator: ", ")).")
        if !left.isEmpty {
            say("Left running: \(left.count) local PostgreSQL instance(s), so their clients keep working; the next start")
            say("reconciles them. Stop them with `fathom instances stop-all`.")
        }
        await services.store.close()
    }
}

extension Serve {
    /// Flags win over `FATHOM_*` variables for the connection limit and timeouts.
    func applyConnectionOptions(to configuration: inout FathomConfiguration) throws {
        for (name, value) in [("--max-connections", maxConnections), ("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout)] {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive") }
        }
        if let maxConnections { configuration.maxConnections = maxConnections }
        if let headerTimeout { configuration.headerTimeout = .seconds(headerTimeout) }
        if let idleTimeout { configuration.idleTimeout = .seconds(idleTimeout) }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending store migrations and exit.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await store.withServices { services in
            let version = try await Migrations.currentVersion(of: services.store) ?? 0
            print("Store schema at version \(version) (\(services.store.backend.rawValue))")
        }
    }
}

struct OpenAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the OpenAPI 3.1 document.")

    func run() async throws {
        let table = try await RouteListing.table()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(OpenAPIDocument.build(routes: table.all, version: FathomVersion.current))
        print(String(decoding: data, as: UTF8.self))
    }
}

struct RoutesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Print every route: method, path, who may call it, and where its handler is declared (file:line).")

    func run() async throws {
        let specs = try await RouteListing.table().all
        let methodWidth = specs.map(\.method.rawValue.count).max() ?? 0
        let pathWidth = specs.map(\.path.count).max() ?? 0
        let accessWidth = specs.map { RouteListing.describe($0.access).count }.max() ?? 0
        for spec in specs {
            print(
                [
                    spec.method.rawValue.padding(toLength: methodWidth, withPad: " ", startingAt: 0),
                    spec.path.padding(toLength: pathWidth, withPad: " ", startingAt: 0),
                    RouteListing.describe(spec.access).padding(toLength: accessWidth, withPad: " ", startingAt: 0),
                    spec.location,
                ].joined(separator: "  "))
        }
    }
}

/// The route table, built over a throw-away store (routes do not depend on what a store holds).
enum RouteListing {
    static func table() async throws -> RouteTable {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-routes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = FathomConfiguration()
        configuration.dataDir = directory.path
        JSONLogHandler.bootstrapOnce(level: "error")
        let services = try await AppServices.open(configuration: configuration, logger: Logger(label: "fathom"))
        let (_, table) = buildRouter(services: services)
        await services.store.close()
        return table
    }

    static func describe(_ access: Access) -> String {
        switch access {
        case .public: return "public"
        case .authenticated: return "authenticated"
        case .permission(let permission): return permission.rawValue
        case .project(let permission): return "project:" + permission.rawValue
        case .scoped(let permission): return "scoped:" + permission.rawValue
        }
    }
}

struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Fathom's version.")
    func run() async throws { print("fathom \(FathomVersion.current)") }
}
