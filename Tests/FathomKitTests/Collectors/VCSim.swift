import Foundation
import FathomKit
import Synchronization
import Testing

/// govmomi's vCenter simulator (vcsim/main.go here, built once by vcsim/build.sh) on a free loopback port, for the
/// collectors' tests. It needs Debian's golang-go and golang-github-vmware-govmomi-dev: `.ci/run` installs them and
/// sets FATHOM_TEST_REQUIRE_VCSIM=1, so CI never skips these tests; elsewhere they run when the tools are there.
final class VCSim: Sendable {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("vcsim")
    static let required = ProcessInfo.processInfo.environment["FATHOM_TEST_REQUIRE_VCSIM"] == "1"
    static let available = required
        || (FileManager.default.fileExists(atPath: "/usr/share/gocode/src/github.com/vmware/govmomi")
            && ["/usr/bin/go", "/usr/local/bin/go", "/usr/lib/go/bin/go"].contains { FileManager.default.isExecutableFile(atPath: $0) })

    /// The binary, built at most once per test process (the build script itself skips an up-to-date binary).
    private static let build = Task<Result<String, HarnessFailure>, Never> {
        guard let result = try? await Subprocess.run("/bin/bash", [directory.appendingPathComponent("build.sh").path]) else {
            return .failure(HarnessFailure("vcsim build cannot start"))
        }
        // The script prints the binary's path last; Go's messages come before it.
        let path = result.output.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard result.status == 0, path.hasPrefix("/") else {
            return .failure(HarnessFailure("vcsim build failed (status \(result.status)): \(result.output.suffix(2000))"))
        }
        return .success(path)
    }

    let child: Subprocess.Child
    /// `http(s)://127.0.0.1:PORT/sdk`, without the user and password.
    let endpoint: String
    let caPath: String?
    private let output: String

    private init(child: Subprocess.Child, endpoint: String, caPath: String?, output: String) {
        self.child = child
        self.endpoint = endpoint
        self.caPath = caPath
        self.output = output
    }

    /// Starts a simulator accepting only `user`/`pass`; `arguments` shape the inventory (`-vm 2`, `-tls` …).
    static func start(_ arguments: [String] = []) async throws -> VCSim {
        let binary = try await build.value.get()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("vcsim-\(UUID().uuidString).out").path
        let child = try Subprocess.start(
            binary, ["-l", "127.0.0.1:0", "-user", "user", "-pass", "pass"] + arguments, stdoutPath: output, stderrPath: "/dev/null")
        let wantsCA = arguments.contains("-tls")
        // The simulator prints its URL (and CA) once it listens; a large inventory takes a few seconds to build.
        let deadline = ContinuousClock.now + .seconds(60)
        var lines: [String] = []
        while ContinuousClock.now < deadline {
            lines = (try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
            if lines.contains(where: { $0.hasPrefix("VCSIM_URL=") }), !wantsCA || lines.contains(where: { $0.hasPrefix("VCSIM_CA=") }) { break }
            guard Subprocess.isAlive(child.pid) else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let url = lines.first(where: { $0.hasPrefix("VCSIM_URL=") }).flatMap({ URLComponents(string: String($0.dropFirst(10))) })
        else {
            child.kill()
            try? FileManager.default.removeItem(atPath: output)
            throw HarnessFailure("vcsim did not start: \(lines)")
        }
        var components = url
        components.user = nil
        components.password = nil
        let caPath = lines.first(where: { $0.hasPrefix("VCSIM_CA=") }).map { String($0.dropFirst(9)) }
        return VCSim(child: child, endpoint: components.string ?? "", caPath: caPath, output: output)
    }

    private let stopped = Mutex(false)

    /// Kills the simulator (reaped in the background) and removes its output; once only, so a reaped pid that the
    /// system gave to another process is never signalled.
    func stop() {
        guard stopped.withLock({ done in defer { done = true }; return !done }) else { return }
        child.kill()
        try? FileManager.default.removeItem(atPath: output)
    }

    deinit { stop() }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
