@testable import FathomKit
import Foundation
import Testing

/// The `fathom` executable the crash tests run as a child process: `.build/debug/fathom` beside the tests, built
/// with `swift build --product fathom` when it is missing. A crash test fails (never skips) if it cannot be had.
enum FathomBinary {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    private static let built = Task<String, any Error> {
        let path = packageRoot + "/.build/debug/fathom"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        let swift = ["/opt/swift/usr/bin/swift", "/usr/bin/swift"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "swift"
        let result = try await Subprocess.run(swift, ["build", "--package-path", packageRoot, "--product", "fathom"])
        guard result.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("the fathom binary is missing at \(path) and `swift build --product fathom` failed: \(result.output.suffix(500))")
        }
        return path
    }

    static func path() async throws -> String { try await built.value }
}

/// One `fathom serve` over a data directory that outlives it, a cookie session (kept in the store, so it
/// survives restarts) and a way to kill it at a fault point.
final class CrashServer: @unchecked Sendable {
    let dataDir: String
    let port: Int
    let localPorts: ClosedRange<Int>
    private var child: Subprocess.Child?
    private var csrf = ""
    var base: String { "http://127.0.0.1:\(port)" }
    var jar: String { dataDir + ".cookies" }
    var log: String { dataDir + ".stderr" }

    init(localPorts: ClosedRange<Int>) throws {
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-crash-\(UUID().uuidString.prefix(8))").path
        port = try FreePort.find()
        self.localPorts = localPorts
    }

    /// Starts the server (armed with `fault`, if any), waits until it answers and signs in.
    func boot(fault: String? = nil) async throws {
        // One server at a time: a second one on the same port would fail to bind while the first kept answering.
        await stop()
        let environment = ProcessInfo.processInfo.environment.merging([
            "FATHOM_ADMIN_PASSWORD": "crash-admin-1", "FATHOM_BCRYPT_COST": "4", "FATHOM_JOB_LEASE_SECONDS": "4",
            "FATHOM_LOCAL_PORTS": "\(localPorts.lowerBound)-\(localPorts.upperBound)", "FATHOM_LOG_LEVEL": "error",
            "FATHOM_FAULT": fault ?? "",
        ]) { _, new in new }
        // The fault point announces itself on stderr: the log (appended to across boots) proves the kill came from it.
        let child = try Subprocess.start(
            try await FathomBinary.path(), ["serve", "--data-dir", dataDir, "--port", String(port)], environment: environment,
            stderrPath: log, append: true)
        self.child = child
        let healthy = try await waitUntil(timeout: .seconds(60)) {
            (try? await Subprocess.run("/usr/bin/curl", ["-sf", self.base + "/healthz"]))?.status == 0
        }
        guard healthy, processAlive(child.pid) else {
            throw HarnessError("fathom serve did not become healthy on \(base) (or another process answers there)")
        }
        if csrf.isEmpty {
            let login = try await call("POST", "/api/v1/auth/login", #"{"username":"admin","password":"crash-admin-1"}"#)
            csrf = try #require(login["data"]?["csrfToken"]?.stringValue)
        }
    }

    func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> JSONValue {
        var arguments = ["-s", "-X", method, "-b", jar, "-c", jar, "-H", "X-CSRFToken: \(csrf)", base + path]
        if let body { arguments += ["-H", "Content-Type: application/json", "-d", body] }
        return JSONText.decode(try await Subprocess.run("/usr/bin/curl", arguments).output)
    }

    /// Waits for the armed server to kill itself; fails if the fault point was never reached.
    func diesAtFault(_ fault: String, within timeout: Duration = .seconds(180)) async throws {
        let child = try #require(self.child)
        let died = try await waitUntil(timeout: timeout) { !processAlive(child.pid) }
        if !died { kill(child.pid, SIGKILL) }
        _ = await child.wait()
        self.child = nil
        let announced = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("FATHOM_FAULT: killing the process at \(fault)\n")
        #expect(died && announced, "fault point \(fault) was never reached (server \(died ? "died otherwise" : "still running"))")
        guard died && announced else { throw HarnessError("fault point \(fault) was never reached") }
    }

    /// Stops the server (SIGTERM, then SIGKILL after 30 s) and reaps it; forgets it, so its pid is never signalled
    /// again once the system may have given it to another process.
    func stop() async {
        guard let child else { return }
        if processAlive(child.pid) {
            kill(child.pid, SIGTERM)
            if !(await waitUntil(timeout: .seconds(30)) { !processAlive(child.pid) }) { kill(child.pid, SIGKILL) }
        }
        _ = await child.wait()
        self.child = nil
    }

    /// Stops everything the server started and removes its files.
    func tearDown() async {
        await stop()
        if let binary = try? await FathomBinary.path() {
            _ = try? await Subprocess.run(binary, ["instances", "stop-all", "--data-dir", dataDir])
        }
        try? FileManager.default.removeItem(atPath: dataDir)
        try? FileManager.default.removeItem(atPath: jar)
        try? FileManager.default.removeItem(atPath: log)
    }

    // MARK: Operations and instances

    /// Starts an operation and returns its id (and the response).
    func start(_ method: String, _ path: String, _ body: String? = nil) async throws -> (String, JSONValue) {
        let response = try await call(method, path, body)
        guard let id = response["operation"]?["id"]?.stringValue else { throw HarnessError("\(method) \(path): \(response)") }
        return (id, response)
    }

    /// Waits until the operation is decided (recovery included); returns its state and error message.
    func decided(_ project: String, _ operation: String, within timeout: Duration = .seconds(240)) async throws -> (String, String) {
        var last = JSONValue.null
        let done = try await waitUntil(timeout: timeout) {
            last = try await self.call("GET", "/v1/projects/\(project)/operations/\(operation)")["operation"] ?? .null
            return ["SUCCEEDED", "FAILED", "CANCELLED"].contains(last["state"]?.stringValue ?? "")
        }
        guard done else { throw HarnessError("operation \(operation) not decided: \(last)") }
        return (last["state"]?.stringValue ?? "", last["error"]?["message"]?.stringValue ?? "")
    }

    func instance(_ project: String, _ id: String) async throws -> JSONValue {
        try await call("GET", "/v1/projects/\(project)/instances/\(id)")["instance"] ?? .null
    }

    func port(_ instance: JSONValue, _ role: String) -> Int? {
        guard case .array(let endpoints)? = instance["endpoints"] else { return nil }
        return endpoints.first { $0["role"]?.stringValue == role }?["port"]?.intValue.map { Int($0) }
    }

    /// Runs SQL on a node of an instance over its private socket as the superuser (trusted there); returns the
    /// output, or nil when the server does not answer.
    func sql(_ instanceId: String, port: Int, _ statement: String) async throws -> String? {
        guard let bin = TestPostgres.binDirectory else { throw HarnessError("no PostgreSQL binaries") }
        let socket = "\(dataDir)/instances/\(instanceId)/run"
        let psql = [bin + "/psql", "-h", socket, "-p", String(port), "-U", "postgres", "-d", "postgres", "-qAtX", "-c", statement]
        let command = getuid() == 0 ? ["/usr/sbin/runuser", "-u", ProcessInfo.processInfo.environment["FATHOM_PG_USER"] ?? "postgres", "--"] + psql : psql
        let result = try await Subprocess.run(command[0], Array(command.dropFirst()))
        return result.status == 0 ? result.output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// Directory entries of an instance (to look for scratch copies left behind).
    func entries(_ instanceId: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "\(dataDir)/instances/\(instanceId)")) ?? []
    }
}
