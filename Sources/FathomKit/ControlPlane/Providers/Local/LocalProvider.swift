import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Real PostgreSQL servers on this host: `initdb`/`pg_ctl` from the installed PostgreSQL, loopback ports, data under
/// `<data-dir>/instances/<id>/node-<port>`, base backups under `<data-dir>/backups/<id>`, a streaming standby for
/// high availability. Servers keep running when Fathom stops.
public final class LocalProvider: Provider, Sendable {
    public let name = "local"
    let tools: LocalTools
    let root: String
    let ports: ClosedRange<Int>
    /// Ports in use by instances in the store (so two instances never share one, running or not).
    let portsInUse: @Sendable () async -> Set<Int>
    private let reserved = Mutex<Set<Int>>([])

    public init(
        dataDir: String, ports: ClosedRange<Int>, environment: [String: String] = ProcessInfo.processInfo.environment,
        portsInUse: @escaping @Sendable () async -> Set<Int>
    ) {
        let binaries = PostgresBinaries.discover(environment: environment)
        tools = LocalTools.make(binaries: binaries, environment: environment)
        root = URL(fileURLWithPath: dataDir).standardizedFileURL.path
        self.ports = ports
        self.portsInUse = portsInUse
    }

    public func engines() -> [String: [String]] {
        tools.binaries.directories.isEmpty ? [:] : ["postgresql": tools.binaries.directories.keys.sorted()]
    }

    public var unavailableReason: String? {
        tools.binaries.directories.isEmpty
            ? "no PostgreSQL server binaries found: install them (apt-get install postgresql) or set FATHOM_PG_BIN" : nil
    }

    public var supportedActions: Set<ProviderAction> { Set(ProviderAction.allCases) }

    /// Every operation records its steps and can be run again after a crash (see each operation).
    public var resumesAfterCrash: Bool { true }

    // MARK: Layout

    func instanceDirectory(_ id: String) -> String { "\(root)/instances/\(id)" }
    func nodeDirectory(_ id: String, port: Int) -> String { "\(instanceDirectory(id))/node-\(port)" }
    func socketDirectory(_ id: String) -> String { "\(instanceDirectory(id))/run" }
    func backupDirectory(_ id: String) -> String { "\(root)/backups/\(id)" }

    static func superuser(_ context: ProviderContext) throws -> (String, String) {
        guard let user = context.credential?["username"]?.stringValue, let password = context.credential?["password"]?.stringValue else {
            throw AppError(.jobFailed, "Instance \(context.instance.id) has no superuser credential")
        }
        return (user, password)
    }

    // MARK: Create

    public func create(_ context: ProviderContext) async throws -> ProvisionResult {
        guard unavailableReason == nil else { throw AppError(.engineNotSupported, unavailableReason!) }
        let instance = context.instance
        // A create that was interrupted holds no data yet: start it over from nothing.
        if context.resuming { try await delete(context) }
        let password = Secrets.randomToken(bytes: 24)
        try await tools.makePrivateDirectory(instanceDirectory(instance.id))
        try await tools.makePrivateDirectory(socketDirectory(instance.id))
        let primaryPort = try await allocatePort()
        defer { release(primaryPort) }
        let primary = nodeDirectory(instance.id, port: primaryPort)
        await context.progress(10, "initdb")
        let passwordFile = "\(instanceDirectory(instance.id))/.pwfile"
        try await tools.write(password, to: passwordFile)
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        try await tools.run(
            "initdb", version: instance.version,
            [
                "-D", primary, "--username=postgres", "--pwfile=\(passwordFile)", "--auth-host=scram-sha-256",
                // The socket directory is private to the instance user, so local connections can be trusted.
                "--auth-local=trust", "--data-checksums", "--encoding=UTF8", "--locale=C",
            ])
        try await context.step("create.after-initdb")
        try await configure(primary, instance: instance, port: primaryPort)
        await context.progress(50, "starting")
        try await start(primary, version: instance.version)
        try await context.step("create.after-start")
        var endpoints = [Endpoint(host: "127.0.0.1", port: primaryPort, role: .primary)]
        if instance.highAvailability {
            await context.progress(70, "creating the standby")
            endpoints.append(try await addStandby(instance, primaryPort: primaryPort, password: password))
            try await context.step("create.after-standby")
        }
        await context.progress(95, "ready")
        return ProvisionResult(
            endpoints: endpoints, version: instance.version, credential: ["username": "postgres", "password": .string(password)])
    }

    /// Writes `fathom.conf` for a node (with WAL archiving when the instance archives) and makes sure
    /// postgresql.conf includes it and, while a point-in-time restore runs, its recovery settings.
    func configure(_ node: String, instance: Instance, port: Int) async throws {
        try await prepareArchive(instance)
        try await tools.write(
            LocalSettings.render(
                resources: instance.resources, port: port, socketDirectory: socketDirectory(instance.id),
                extra: archiveSettings(instance) ?? []),
            to: "\(node)/fathom.conf")
        let main = "\(node)/postgresql.conf"
        var text = (try? String(contentsOfFile: main, encoding: .utf8)) ?? ""
        var changed = false
        for file in ["fathom.conf", Self.recoveryConfigName] where !text.contains("include_if_exists = '\(file)'") {
            text += "\ninclude_if_exists = '\(file)'\n"
            changed = true
        }
        if changed { try await tools.write(text, to: main) }
    }

    func start(_ node: String, version: String) async throws {
        try await tools.run("pg_ctl", version: version, ["-D", node, "-l", "\(node).log", "-w", "-t", "60", "start"])
    }

    func stop(_ node: String, version: String) async throws {
        guard FileManager.default.fileExists(atPath: "\(node)/postmaster.pid") else { return }
        try await tools.run("pg_ctl", version: version, ["-D", node, "-m", "fast", "-w", "-t", "60", "stop"], check: false)
    }

    /// Whether the node's postmaster is alive. Read from postmaster.pid and /proc rather than `pg_ctl status`,
    /// which takes an unreaped (zombie) postmaster for a running one.
    func isRunning(_ node: String, version: String) async -> Bool {
        guard let text = try? String(contentsOfFile: "\(node)/postmaster.pid", encoding: .utf8),
            let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { return false }
        // The pid may have been reused by another program since the postmaster died.
        return Subprocess.isAlive(pid) && stat.contains("(postgres)")
    }

    /// A streaming standby of the primary on its own port (pg_basebackup -R).
    func addStandby(_ instance: Instance, primaryPort: Int, password: String) async throws -> Endpoint {
        let port = try await allocatePort()
        defer { release(port) }
        let standby = nodeDirectory(instance.id, port: port)
        try await cloneStandby(instance, into: standby, port: port, fromPort: primaryPort, password: password)
        return Endpoint(host: "127.0.0.1", port: port, role: .standby)
    }

    /// (Re)builds a standby node from the primary; the node is only ever a copy, so it is replaced whole.
    func cloneStandby(_ instance: Instance, into node: String, port: Int, fromPort: Int, password: String) async throws {
        try await stop(node, version: instance.version)
        try? FileManager.default.removeItem(atPath: node)
        try await tools.run(
            "pg_basebackup", version: instance.version,
            ["-h", "127.0.0.1", "-p", String(fromPort), "-U", "postgres", "-D", node, "-R", "-X", "stream", "-c", "fast"],
            environment: ["PGPASSWORD": password])
        try await configure(node, instance: instance, port: port)
        try await start(node, version: instance.version)
    }

    // MARK: Ports

    func allocatePort() async throws -> Int {
        let used = await portsInUse()
        for port in ports where !used.contains(port) {
            let claimed = reserved.withLock { reserved -> Bool in
                guard !reserved.contains(port) else { return false }
                reserved.insert(port)
                return true
            }
            guard claimed else { continue }
            // Another replica sharing this data directory may have picked the port and not bound it yet.
            if Self.isFree(port), claimOnDisk(port) { return port }
            reserved.withLock { _ = $0.remove(port) }
        }
        throw AppError(.quotaExceeded, "No free port left in \(ports.lowerBound)-\(ports.upperBound) for a local instance")
    }

    func release(_ port: Int) {
        try? FileManager.default.removeItem(atPath: portClaimPath(port))
        reserved.withLock { _ = $0.remove(port) }
    }

    /// `<data-dir>/ports/<port>`, holding the pid of the process that is setting up a server on the port.
    func portClaimPath(_ port: Int) -> String { "\(root)/ports/\(port)" }

    /// Claims the port for this process across processes: the claim file is created exclusively, and a claim
    /// left by a process that died is taken over.
    func claimOnDisk(_ port: Int) -> Bool {
        let path = portClaimPath(port)
        try? FileManager.default.createDirectory(atPath: "\(root)/ports", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for _ in 0..<2 {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
            if fd >= 0 {
                let pid = Array("\(getpid())".utf8)
                _ = pid.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                return true
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), let owner = Int32(text), !Subprocess.isAlive(owner)
            else { return false }
            try? FileManager.default.removeItem(atPath: path)
        }
        return false
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
