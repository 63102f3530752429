import Foundation
import Testing

/// govmomi's vCenter simulator (vcsim/main.go here, built once by vcsim/build.sh) on a free loopback port, for the
/// collectors' tests. It needs Debian's golang-go and golang-github-vmware-govmomi-dev: `.ci/run` installs them and
/// sets FATHOM_TEST_REQUIRE_VCSIM=1, so CI never skips these tests; elsewhere they run when the tools are there.
final class VCSim: @unchecked Sendable {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("vcsim")
    static let required = ProcessInfo.processInfo.environment["FATHOM_TEST_REQUIRE_VCSIM"] == "1"
    static let available = required
        || (FileManager.default.fileExists(atPath: "/usr/share/gocode/src/github.com/vmware/govmomi")
            && ["/usr/bin/go", "/usr/local/bin/go", "/usr/lib/go/bin/go"].contains { FileManager.default.isExecutableFile(atPath: $0) })

    /// The binary, built at most once per test process (the build script itself skips an up-to-date binary).
    static let binary: Result<String, HarnessFailure> = {
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/bin/bash")
        build.arguments = [directory.appendingPathComponent("build.sh").path]
        let out = Pipe()
        build.standardOutput = out
        do { try build.run() } catch { return .failure(HarnessFailure("vcsim build cannot start: \(error)")) }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        build.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard build.terminationStatus == 0, !path.isEmpty else {
            return .failure(HarnessFailure("vcsim build failed (status \(build.terminationStatus)); see stderr"))
        }
        return .success(path)
    }()

    let process: Process
    /// `http(s)://127.0.0.1:PORT/sdk`, without the user and password.
    let endpoint: String
    let caPath: String?
    private let output: URL

    /// Starts a simulator accepting only `user`/`pass`; `arguments` shape the inventory (`-vm 2`, `-tls` …).
    init(_ arguments: [String] = []) throws {
        let binary = try Self.binary.get()
        output = FileManager.default.temporaryDirectory.appendingPathComponent("vcsim-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-l", "127.0.0.1:0", "-user", "user", "-pass", "pass"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let wantsCA = arguments.contains("-tls")
        // The simulator prints its URL (and CA) once it listens; a large inventory takes a few seconds to build.
        let deadline = Date().addingTimeInterval(60)
        var lines: [String] = []
        while Date() < deadline {
            lines = (try? String(contentsOf: output, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
            if lines.contains(where: { $0.hasPrefix("VCSIM_URL=") }), !wantsCA || lines.contains(where: { $0.hasPrefix("VCSIM_CA=") }) { break }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let url = lines.first(where: { $0.hasPrefix("VCSIM_URL=") }).flatMap({ URLComponents(string: String($0.dropFirst(10))) })
        else {
            process.terminate()
            throw HarnessFailure("vcsim did not start: \(lines)")
        }
        var components = url
        components.user = nil
        components.password = nil
        endpoint = components.string ?? ""
        caPath = lines.first(where: { $0.hasPrefix("VCSIM_CA=") }).map { String($0.dropFirst(9)) }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: output)
    }

    deinit { stop() }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
