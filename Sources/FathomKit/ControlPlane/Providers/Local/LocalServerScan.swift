import Foundation

/// A PostgreSQL postmaster found running on this host with its data under a Fathom data directory.
public struct LocalServer: Sendable, Equatable {
    public var pid: Int32
    public var instanceId: String
    /// The port in the node directory's name (`node-<port>`).
    public var port: Int
    public var dataDirectory: String
}

/// Finds the local provider's PostgreSQL servers from the process table rather than from postmaster.pid files,
/// so a server whose directory or pid file is gone is still found.
public enum LocalServerScan {
    /// Postmasters (a process whose argv[0] is `postgres`, started with `-D <root>/instances/<id>/node-<port>`).
    public static func servers(underDataDirectory dataDir: String) -> [LocalServer] {
        let prefix = URL(fileURLWithPath: dataDir).standardizedFileURL.path + "/instances/"
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.compactMap { pid -> LocalServer? in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), Subprocess.isAlive(pid) else { return nil }
            let arguments = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard let program = arguments.first, URL(fileURLWithPath: program).lastPathComponent == "postgres",
                let flag = arguments.firstIndex(of: "-D"), flag + 1 < arguments.count
            else { return nil }
            let directory = URL(fileURLWithPath: arguments[flag + 1]).standardizedFileURL.path
            guard directory.hasPrefix(prefix) else { return nil }
            let parts = directory.dropFirst(prefix.count).split(separator: "/")
            guard parts.count == 2, parts[1].hasPrefix("node-"), let port = Int(parts[1].dropFirst("node-".count)) else { return nil }
            return LocalServer(pid: pid, instanceId: String(parts[0]), port: port, dataDirectory: directory)
        }
    }
}
