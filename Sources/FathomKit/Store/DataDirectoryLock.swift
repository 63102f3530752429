import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on `<dataDir>/fathom.lock`: every `fathom serve` holds it shared for as long as it runs, and
/// `fathom store restore` takes it exclusive, so a restore never replaces a store a server is using. The kernel drops
/// the lock when the process ends, however it ends (a SIGKILLed server leaves no stale lock behind).
public final class DataDirectoryLock: Sendable {
    public enum Mode: Sendable {
        /// Many servers may share a data directory (their store may be one PostgreSQL).
        case shared
        /// Nobody else: a restore.
        case exclusive
    }

    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock; nil when another process holds it in a conflicting mode for longer than `patience`. The wait
    /// covers a holder that is only passing: a process this one is starting keeps a copy of every descriptor until
    /// it executes its program (and closes them), so a lock released a moment ago can still look taken.
    public static func acquire(dataDir: String, mode: Mode, patience: Duration = .seconds(1)) async throws -> DataDirectoryLock? {
        let deadline = ContinuousClock.now + patience
        while true {
            if let lock = try tryAcquire(dataDir: dataDir, mode: mode) { return lock }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func tryAcquire(dataDir: String, mode: Mode) throws -> DataDirectoryLock? {
        try StoreFiles.secureDirectory(dataDir)
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("fathom.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        guard flock(descriptor, (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return DataDirectoryLock(path: path, descriptor: descriptor)
    }

    deinit {
        close(descriptor)
    }
}
