import Foundation
import Logging

/// Runs PostgreSQL's tools for the local provider. PostgreSQL refuses to run as root, so when Fathom is root the
/// tools run as an unprivileged user (`postgres`, or `FATHOM_PG_USER`) that owns the instance directories.
struct LocalTools: Sendable {
    let binaries: PostgresBinaries
    /// The user the tools run as when Fathom is root; nil when Fathom is not root.
    let osUser: String?

    static func make(binaries: PostgresBinaries, environment: [String: String]) -> LocalTools {
        LocalTools(binaries: binaries, osUser: getuid() == 0 ? (environment["FATHOM_PG_USER"] ?? "postgres") : nil)
    }

    /// Runs a PostgreSQL tool of `version`; a non-zero exit throws with the tool's last output lines. A
    /// `lowPriority` run (backups) yields the CPU and the disk to the instance's own work on a busy host.
    @discardableResult
    func run(
        _ tool: String, version: String, _ arguments: [String], environment: [String: String] = [:], check: Bool = true,
        lowPriority: Bool = false
    ) async throws -> Subprocess.Result {
        guard let path = binaries.tool(tool, version: version) else {
            throw AppError(.engineNotSupported, "PostgreSQL \(version) tool \(tool) is not installed")
        }
        if lowPriority {
            let prefix = Self.lowPriority
            return try await command(prefix[0], Array(prefix.dropFirst()) + [path] + arguments, environment: environment, check: check, label: tool)
        }
        return try await command(path, arguments, environment: environment, check: check, label: tool)
    }

    /// The command prefix of backup work: the lowest CPU priority, and the lowest best-effort I/O priority where
    /// `ionice` exists and the disk's scheduler honours it (BFQ). Not the idle I/O class: on a disk that is never idle
    /// it would starve a scheduled backup forever.
    static let lowPriority: [String] =
        ["/usr/bin/nice", "-n", "19"]
        + (FileManager.default.isExecutableFile(atPath: "/usr/bin/ionice") ? ["/usr/bin/ionice", "-c", "2", "-n", "7"] : [])

    /// Runs any command as the instance user.
    @discardableResult
    func command(_ path: String, _ arguments: [String], environment: [String: String] = [:], check: Bool = true, label: String? = nil)
        async throws -> Subprocess.Result
    {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FATHOM_") }
        env.merge(environment) { _, new in new }
        let executable = osUser == nil ? path : "/usr/sbin/runuser"
        let args = osUser.map { ["-u", $0, "--", path] + arguments } ?? arguments
        let result = try await Subprocess.run(executable, args, environment: env)
        if check && result.status != 0 {
            let tail = result.output.split(separator: "\n").suffix(5).joined(separator: " | ")
            throw AppError(.jobFailed, "\(label ?? URL(fileURLWithPath: path).lastPathComponent) failed (exit \(result.status)): \(tail)")
        }
        return result
    }

    /// Creates a directory owned by the instance user, private to it (its parents stay traversable).
    func makePrivateDirectory(_ path: String) async throws {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let osUser {
            try await Subprocess.checked("/bin/chown", ["-R", osUser, path])
            // Every directory above must let the instance user through, or PostgreSQL cannot reach its data.
            let reachable = try await command("/usr/bin/test", ["-w", path], check: false)
            guard reachable.status == 0 else {
                throw AppError(
                    .jobFailed,
                    "User '\(osUser)' cannot reach \(path): make the data directory's parents traversable (chmod o+x) or choose another --data-dir")
            }
        }
    }

    /// Writes a file the instance user owns.
    func write(_ text: String, to path: String, mode: Int = 0o600) async throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        if let osUser { try await Subprocess.checked("/bin/chown", [osUser, path]) }
    }
}

extension Subprocess {
    /// Runs a command that must succeed.
    static func checked(_ executable: String, _ arguments: [String]) async throws {
        let result = try await run(executable, arguments)
        guard result.status == 0 else {
            throw AppError(.jobFailed, "\(URL(fileURLWithPath: executable).lastPathComponent) failed: \(result.output.prefix(300))")
        }
    }
}
