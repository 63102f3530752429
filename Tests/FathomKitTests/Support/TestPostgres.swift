import FathomKit
import Foundation

/// A real PostgreSQL server for the test run: initdb into a temporary directory, a free loopback port, torn down
/// by a watchdog when the test process exits (normally or not). Each test gets its own database in it.
enum TestPostgres {
    /// The directory with initdb/postgres/psql, from FATHOM_PG_BIN, /usr/lib/postgresql/*/bin or PATH.
    static let binDirectory: String? = {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["FATHOM_PG_BIN"], fm.fileExists(atPath: explicit + "/initdb") {
            return explicit
        }
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where fm.fileExists(atPath: "/usr/lib/postgresql/\(version)/bin/initdb") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where fm.fileExists(atPath: "\(dir)/initdb") && fm.fileExists(atPath: "\(dir)/postgres") {
            return String(dir)
        }
        return nil
    }()

    /// Whether tests needing PostgreSQL run: its binaries were found, or FATHOM_TEST_REQUIRE_POSTGRES=1 (then
    /// they run and fail without them, rather than being skipped).
    static var isAvailable: Bool { binDirectory != nil || Backends.requirePostgres }

    struct Cluster: Sendable {
        let port: Int
        let password: String
        let bin: String

        func url(database: String) -> String {
            "postgres://postgres:\(password)@127.0.0.1:\(port)/\(database)"
        }
    }

    private static let cluster = Task<Cluster, any Error> { try await start() }

    /// A fresh, empty database in the shared test cluster.
    static func createDatabase() async throws -> String {
        let cluster = try await cluster.value
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await psql(cluster, "CREATE DATABASE \(name)")
        return cluster.url(database: String(name))
    }

    static func psql(_ cluster: Cluster, _ sql: String) async throws {
        let status = try await run(
            cluster.bin + "/psql",
            ["-h", "127.0.0.1", "-p", String(cluster.port), "-U", "postgres", "-d", "postgres", "-qAtc", sql],
            environment: ["PGPASSWORD": cluster.password])
        guard status == 0 else { throw HarnessError("psql failed: \(sql)") }
    }

    private static func start() async throws -> Cluster {
        guard let bin = binDirectory else { throw HarnessError("no PostgreSQL server binaries found") }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-test-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let password = UUID().uuidString
        try password.write(toFile: root + "/pwfile", atomically: true, encoding: .utf8)
        // PostgreSQL refuses to run as root: run it as the `postgres` system user (or FATHOM_PG_USER).
        var runAs: [String] = []
        if getuid() == 0 {
            let user = ProcessInfo.processInfo.environment["FATHOM_PG_USER"] ?? "postgres"
            guard try await run("/bin/chown", ["-R", user, root]) == 0 else { throw HarnessError("chown to \(user) failed") }
            runAs = ["/usr/sbin/runuser", "-u", user, "--"]
        }
        let initdb = runAs + [
            bin + "/initdb", "-D", root + "/data", "-U", "postgres", "--pwfile=" + root + "/pwfile",
            "--auth=scram-sha-256", "-E", "UTF8", "--no-sync",
        ]
        guard try await run(initdb[0], Array(initdb.dropFirst())) == 0 else { throw HarnessError("initdb failed") }
        let port = try FreePort.find()
        let quotedRunAs = runAs.joined(separator: " ")
        // The watchdog stops the server and removes the directory once this test process is gone. Dozens of suites
        // migrate their own databases at once, each migration run one transaction holding a lock per object it
        // creates: the shared lock table is sized for that (max_locks_per_transaction).
        let script = """
            \(quotedRunAs) \(bin)/postgres -D \(root)/data -p \(port) -c listen_addresses=127.0.0.1 \
              -c unix_socket_directories=\(root) -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
              -c max_connections=300 -c max_locks_per_transaction=512 >\(root)/server.log 2>&1 &
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(quotedRunAs) \(bin)/pg_ctl -D \(root)/data stop -m immediate >/dev/null 2>&1
            rm -rf \(root)
            """
        // Never waited for: it outlives every test, and ends (reaped by init) after this process.
        _ = try Subprocess.start("/bin/bash", ["-c", script])
        for _ in 0..<300 {
            if try await run(bin + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port)]) == 0 {
                return Cluster(port: port, password: password, bin: bin)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("PostgreSQL did not become ready; see \(root)/server.log")
    }

    /// Runs a command to its end without blocking a thread (Foundation's `waitUntilExit` can miss an exit).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Int32 {
        try await Subprocess.run(
            executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        ).status
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Finds a free loopback TCP port by binding port 0.
enum FreePort {
    static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw HarnessError("getsockname failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
