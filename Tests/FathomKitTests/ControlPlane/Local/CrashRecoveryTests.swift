@testable import FathomKit
import Foundation
import Testing

/// `fathom serve` killed (SIGKILL) in the middle of creating a local instance: after a restart the operation ends
/// SUCCEEDED or FAILED — never stuck — and no server of the instance is left behind.
/// The `fathom` executable built beside the tests.
let fathomBinary: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = root.appendingPathComponent(".build/debug/fathom").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

@Suite(.enabled(if: TestPostgres.isAvailable && fathomBinary != nil, "needs PostgreSQL and the built fathom binary"))
struct CrashRecoveryTests {
    static var binary: String? { fathomBinary }

    final class Server: @unchecked Sendable {
        let process = Process()
        let port: Int

        init(dataDir: String, port: Int) throws {
            self.port = port
            process.executableURL = URL(fileURLWithPath: CrashRecoveryTests.binary!)
            process.arguments = ["serve", "--data-dir", dataDir, "--port", String(port)]
            process.environment = ProcessInfo.processInfo.environment.merging([
                "FATHOM_ADMIN_PASSWORD": "crash-admin-1", "FATHOM_BCRYPT_COST": "4", "FATHOM_JOB_LEASE_SECONDS": "3",
                "FATHOM_LOCAL_PORTS": "21100-21119", "FATHOM_LOG_LEVEL": "error",
            ]) { _, new in new }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// Waits for the server to exit without blocking a thread (`Process.waitUntilExit` can miss the exit and
        /// would hold one of the few cooperative threads); kills it if it outlives the wait.
        func exited(within timeout: Duration) async -> Bool {
            let pid = process.processIdentifier
            let gone = (try? await waitUntil(timeout: timeout) { !Subprocess.isAlive(pid) }) ?? false
            if !gone { kill(pid, SIGKILL) }
            return gone
        }
    }

    struct Client {
        let base: String
        let jar: String
        var csrf = ""

        func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> JSONValue {
            var arguments = ["-s", "-X", method, "-b", jar, "-c", jar, "-H", "X-CSRFToken: \(csrf)", base + path]
            if let body { arguments += ["-H", "Content-Type: application/json", "-d", body] }
            let result = try await Subprocess.run("/usr/bin/curl", arguments)
            return JSONText.decode(result.output)
        }
    }

    static func waitHealthy(_ base: String) async throws -> Bool {
        try await waitUntil(timeout: .seconds(30)) {
            (try? await Subprocess.run("/usr/bin/curl", ["-sf", base + "/healthz"]))?.status == 0
        }
    }

    @Test func killedDuringCreateEndsDecidedWithNoOrphans() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let port = try FreePort.find()
        let base = "http://127.0.0.1:\(port)"
        var client = Client(base: base, jar: dataDir + ".cookies")
        defer { try? FileManager.default.removeItem(atPath: dataDir + ".cookies") }

        let first = try Server(dataDir: dataDir, port: port)
        #expect(try await Self.waitHealthy(base))
        let login = try await client.call("POST", "/api/v1/auth/login", #"{"username":"admin","password":"crash-admin-1"}"#)
        client.csrf = try #require(login["data"]?["csrfToken"]?.stringValue)
        let project = try #require(try await client.call("POST", "/v1/projects", #"{"name":"crash"}"#)["project"]?["id"]?.stringValue)
        let created = try await client.call(
            "POST", "/v1/projects/\(project)/instances", #"{"name":"victim","engine":"postgresql","high_availability":true}"#)
        let instance = try #require(created["instance"]?["id"]?.stringValue)
        let operation = try #require(created["operation"]?["id"]?.stringValue)
        // Kill it once the create is under way.
        #expect(try await waitUntil(timeout: .seconds(30)) {
            let state = try await client.call("GET", "/v1/projects/\(project)/operations/\(operation)")["operation"]?["state"]
            return state == "RUNNING" || state == "SUCCEEDED"
        })
        kill(first.process.processIdentifier, SIGKILL)
        #expect(await first.exited(within: .seconds(30)))

        let second = try Server(dataDir: dataDir, port: port)
        #expect(try await Self.waitHealthy(base))
        var finalState: JSONValue?
        #expect(try await waitUntil(timeout: .seconds(60)) {
            finalState = try await client.call("GET", "/v1/projects/\(project)/operations/\(operation)")["operation"]?["state"]
            return finalState == "SUCCEEDED" || finalState == "FAILED"
        }, "operation stuck in \(String(describing: finalState))")
        print("crash test: operation ended", finalState ?? "nil")
        if finalState == "FAILED" {
            // Nothing of the half-made instance keeps running.
            #expect(try await waitUntil(timeout: .seconds(20)) { !Self.processesMention(instance) })
        } else {
            _ = try await client.call("DELETE", "/v1/projects/\(project)/instances/\(instance)")
            #expect(try await waitUntil(timeout: .seconds(30)) { !Self.processesMention(instance) })
        }
        second.process.terminate()
        #expect(await second.exited(within: .seconds(60)))
        _ = try? await Subprocess.run(Self.binary!, ["instances", "stop-all", "--data-dir", dataDir])
    }

    /// Whether any live process has the instance id on its command line (a postgres of that instance).
    static func processesMention(_ instance: String) -> Bool {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), processAlive(pid),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { continue }
            if String(decoding: data, as: UTF8.self).contains(instance) { return true }
        }
        return false
    }
}
