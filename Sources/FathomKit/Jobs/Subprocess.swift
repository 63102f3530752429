import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a child process in its own process group. Cancelling the calling task kills the whole group
/// (SIGTERM, then SIGKILL after a grace period), so no grandchild outlives a cancelled job.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        /// Combined stdout and stderr, at most the last 64 KiB.
        public var output: String
    }

    public struct LaunchError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        killGrace: Duration = .seconds(3), onStart: (@Sendable (pid_t) -> Void)? = nil
    ) async throws -> Result {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-proc-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        let pid = try spawn(executable, arguments, environment: environment, outputPath: outputPath)
        onStart?(pid)
        let cancelled = ManagedFlag()
        // The reaper runs detached: it must keep waiting for the child after this task is cancelled.
        let reaper = Task.detached { await wait(pid: pid, cancelled: cancelled, killGrace: killGrace) }
        let status = await withTaskCancellationHandler {
            await reaper.value
        } onCancel: {
            cancelled.set()
            kill(-pid, SIGTERM)
        }
        if cancelled.isSet { throw CancellationError() }
        return Result(status: status, output: tail(of: outputPath, bytes: 65_536))
    }

    /// Starts the child with stdin from `inputPath` (else /dev/null), stdout to `outputPath` and stderr to `errorPath`
    /// (else into stdout). When this returns the child has opened its files, so the caller may unlink them.
    private static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]?, inputPath: String? = nil,
        outputPath: String, errorPath: String? = nil, append: Bool = false
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group led by the child: kill(-pid) then reaches everything it starts.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath ?? "/dev/null", O_RDONLY, 0)
        let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, mode, 0o600)
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, mode, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // Nothing else of ours reaches the child: a server it starts (postgres) would otherwise keep Fathom's
        // listening socket open after Fathom exits, and Fathom could not start again on its port.
        closeInheritedDescriptors(&actions)

        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard result == 0 else {
            throw LaunchError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time because Swift's Glibc module
    /// does not export it; without it, every descriptor open now is closed one by one.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom, closeFrom(&actions, 3) == 0 { return }
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    static func wait(
        pid: pid_t, cancelled: ManagedFlag, killGrace: Duration, limit: (path: String, bytes: Int64, exceeded: ManagedFlag)? = nil
    ) async -> Int32 {
        var killDeadline: ContinuousClock.Instant?
        while true {
            // A child writing past its output limit is stopped at once rather than allowed to fill the disk.
            if let limit, !limit.exceeded.isSet, let size = fileSize(limit.path), size > limit.bytes {
                limit.exceeded.set()
                kill(-pid, SIGKILL)
            }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                let exited = status & 0x7f == 0
                return exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            if result < 0 && errno != EINTR { return -1 }
            if cancelled.isSet {
                let now = ContinuousClock.now
                if let deadline = killDeadline {
                    if now >= deadline { kill(-pid, SIGKILL) }
                } else {
                    killDeadline = now + killGrace
                }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private static func tail(of path: String, bytes: Int) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }
}

extension Subprocess {
    /// Whether a process exists and is not a zombie (an unreaped process still answers `kill(pid, 0)`).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }
}

extension Subprocess {
    /// A child's stdout went past the limit the caller set; the child's process group was killed.
    public struct OutputLimitExceeded: Error {
        public var limit: Int64
    }

    /// Runs a child with stdin read from `stdinPath`, stdout and stderr written to their own files (stdout killed and
    /// refused past `stdoutLimit` bytes). `onStart` runs once the child has opened its files. Cancelling the calling
    /// task kills the whole process group, like `run`. Returns the exit status (128 + signal when killed).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]?, stdinPath: String?, stdoutPath: String,
        stderrPath: String, stdoutLimit: Int64, killGrace: Duration = .seconds(3), onStart: (@Sendable (pid_t) -> Void)? = nil
    ) async throws -> Int32 {
        let pid = try spawn(
            executable, arguments, environment: environment, inputPath: stdinPath, outputPath: stdoutPath, errorPath: stderrPath)
        onStart?(pid)
        let cancelled = ManagedFlag()
        let exceeded = ManagedFlag()
        let reaper = Task.detached {
            await wait(pid: pid, cancelled: cancelled, killGrace: killGrace, limit: (stdoutPath, stdoutLimit, exceeded))
        }
        let status = await withTaskCancellationHandler {
            await reaper.value
        } onCancel: {
            cancelled.set()
            kill(-pid, SIGTERM)
        }
        if cancelled.isSet { throw CancellationError() }
        if exceeded.isSet || (fileSize(stdoutPath) ?? 0) > stdoutLimit { throw OutputLimitExceeded(limit: stdoutLimit) }
        return status
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }
}

/// A thread-safe one-way flag.
final class ManagedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

extension Subprocess {
    /// A child that runs beside its starter (a simulator, a server, a watchdog) until it is signalled or ends.
    public struct Child: Sendable {
        public let pid: pid_t

        /// Signals the child's whole process group (it leads one).
        public func signal(_ signal: Int32) { Glibc.kill(-pid, signal) }

        /// Waits for the child to end and reaps it, without holding a thread; its exit status (128 + signal when
        /// killed).
        public func wait() async -> Int32 { await Subprocess.wait(pid: pid, cancelled: ManagedFlag(), killGrace: .zero) }

        /// Kills the process group and reaps the child in the background.
        public func kill() {
            signal(SIGKILL)
            Task.detached { _ = await wait() }
        }
    }

    /// Starts a child in its own process group with stdin from /dev/null, stdout to `stdoutPath` and stderr to
    /// `stderrPath` (else into stdout), both appended to when `append`. Nothing else of ours is inherited.
    /// (Foundation's `Process` is not used: it learns of an exit on one shared thread, through a socket every
    /// descendant inherits, and `waitUntilExit` holds the calling thread meanwhile.)
    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdoutPath: String = "/dev/null",
        stderrPath: String? = nil, append: Bool = false
    ) throws -> Child {
        Child(pid: try spawn(executable, arguments, environment: environment, outputPath: stdoutPath, errorPath: stderrPath, append: append))
    }

    /// Runs a short command to its end on the calling thread (for synchronous callers such as binary discovery);
    /// nil when it cannot start. Its stdout and stderr together, at most the last 64 KiB.
    public static func runBlocking(_ executable: String, _ arguments: [String]) -> Result? {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-proc-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        guard let pid = try? spawn(executable, arguments, environment: nil, outputPath: outputPath) else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return nil }
        }
        let exited = status & 0x7f == 0
        return Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: tail(of: outputPath, bytes: 65_536))
    }
}
