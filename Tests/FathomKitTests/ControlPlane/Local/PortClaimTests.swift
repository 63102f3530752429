@testable import FathomKit
import Foundation
import Testing

/// Two replicas sharing one data directory never give the same port to two new servers (found by
/// scripts/chaos.sh postgres-replicas: concurrent creates on both replicas picked one port, one failed to start).
@Suite(.timeLimit(.minutes(2))) struct PortClaimTests {
    @Test func replicasSharingADataDirectoryPickDifferentPorts() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-ports-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let base = try FreePort.find()
        let range = base...(base + 20)
        // Two providers over one directory stand for two processes (the claim files are what they share).
        let first = LocalProvider(dataDir: root, ports: range) { [] }
        let second = LocalProvider(dataDir: root, ports: range) { [] }
        let a = try await first.allocatePort()
        let b = try await second.allocatePort()
        #expect(a != b)
        first.release(a)
        #expect(try await second.allocatePort() == a)
    }

    @Test func aClaimLeftByADeadProcessIsTakenOver() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-ports-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = try FreePort.find()
        let provider = LocalProvider(dataDir: root, ports: port...port) { [] }
        try FileManager.default.createDirectory(atPath: "\(root)/ports", withIntermediateDirectories: true)
        // A pid above the kernel's limit (pid_max is at most 2^22) belongs to no process.
        try "4999999".write(toFile: provider.portClaimPath(port), atomically: true, encoding: .utf8)
        #expect(try await provider.allocatePort() == port)
        // A live process's claim is respected.
        try "\(getppid())".write(toFile: provider.portClaimPath(port), atomically: true, encoding: .utf8)
        let other = LocalProvider(dataDir: root, ports: port...port) { [] }
        await #expect(throws: AppError.self) { try await other.allocatePort() }
    }
}
