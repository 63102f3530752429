@testable import FathomKit
import Foundation
import Synchronization
import Testing

/// The data directory's lock: shared among servers, exclusive for a restore, and patient with a holder that lets go
/// within the wait (a child process between spawn and exec holds a copy of the descriptor for a moment).
@Suite(.timeLimit(.minutes(1))) struct DataDirectoryLockTests {
    @Test func aHolderThatLetsGoWithinThePatienceIsWaitedFor() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let servers = Holders()
        for _ in 0..<2 {
            // Servers share the directory.
            servers.keep(try await DataDirectoryLock.acquire(dataDir: dataDir, mode: .shared, patience: .zero))
        }
        #expect(servers.count == 2)
        #expect(try await DataDirectoryLock.acquire(dataDir: dataDir, mode: .exclusive, patience: .milliseconds(100)) == nil)

        // The servers let go after 300 ms: a restore waiting up to 5 s gets the lock, one that does not wait does not.
        let release = Task {
            try await Task.sleep(for: .milliseconds(300))
            servers.release()
        }
        #expect(try await DataDirectoryLock.acquire(dataDir: dataDir, mode: .exclusive, patience: .zero) == nil)
        let restore = try await DataDirectoryLock.acquire(dataDir: dataDir, mode: .exclusive, patience: .seconds(5))
        #expect(restore != nil)
        try await release.value
        // While the restore holds it, a server does not start.
        #expect(try await DataDirectoryLock.acquire(dataDir: dataDir, mode: .shared, patience: .milliseconds(100)) == nil)
        withExtendedLifetime(restore) {}
    }
}

/// Locks kept until `release`, which another task calls.
private final class Holders: Sendable {
    private let locks = Mutex<[DataDirectoryLock]>([])
    func keep(_ lock: DataDirectoryLock?) { if let lock { locks.withLock { $0.append(lock) } } }
    var count: Int { locks.withLock { $0.count } }
    func release() { locks.withLock { $0.removeAll() } }
}
