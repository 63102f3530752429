@testable import FathomKit
import Foundation
import Testing

/// Children started without Foundation's `Process`: the test harnesses' simulators, servers and watchdogs, and the
/// binary discovery's version check.
@Suite(.timeLimit(.minutes(1))) struct SubprocessTests {
    @Test func aStartedChildAndItsGroupEndWhenKilledAndAreReaped() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-child-\(UUID().uuidString)").path
        defer { unlink(pidFile) }
        // The child starts a grandchild in its group and waits on it.
        let child = try Subprocess.start("/bin/sh", ["-c", "sleep 60 & echo $! > \"$0\"; wait", pidFile])
        let grandchild = try await grandchildPID(pidFile)
        #expect(Subprocess.isAlive(child.pid) && Subprocess.isAlive(grandchild))
        child.signal(SIGKILL)
        #expect(await child.wait() == 128 + SIGKILL)
        #expect(await waitUntil(timeout: .seconds(10)) { !Subprocess.isAlive(grandchild) })
        // Reaped: the pid is no longer a child of this process.
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, WNOHANG) == -1 && errno == ECHILD)
    }

    @Test func outputGoesToItsFilesAppendedWhenAsked() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-child-\(UUID().uuidString)").path
        defer { unlink(path) }
        for word in ["one", "two"] {
            let child = try Subprocess.start("/bin/sh", ["-c", "echo \(word); echo \(word)-err >&2"], stdoutPath: path, append: true)
            #expect(await child.wait() == 0)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "one\none-err\ntwo\ntwo-err\n")
    }

    @Test func aShortCommandRunsOnTheCallingThread() throws {
        let result = try #require(Subprocess.runBlocking("/bin/sh", ["-c", "echo version 15.4; exit 3"]))
        #expect(result.status == 3)
        #expect(result.output == "version 15.4\n")
        #expect(Subprocess.runBlocking("/nonexistent/binary", []) == nil)
    }

    private func grandchildPID(_ path: String) async throws -> Int32 {
        var pid: Int32?
        _ = await waitUntil(timeout: .seconds(10)) {
            pid = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        return try #require(pid)
    }
}
