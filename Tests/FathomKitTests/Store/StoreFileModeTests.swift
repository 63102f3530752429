@testable import FathomKit
import Foundation
import Logging
import Testing

/// Issue 23, finding 1: store files are private on disk, also for installs made before.
@Suite(.timeLimit(.minutes(5))) struct StoreFileModeTests {
    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func dataDirectoryAndStoreFilesArePrivateAndFixedOnStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-modes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = FathomConfiguration()
        configuration.dataDir = directory
        configuration.bcryptCost = 4
        configuration.role = .api
        var logger = Logger(label: "fathom-test")
        logger.logLevel = .critical
        let files = ["fathom.sqlite", "fathom.sqlite-wal", "fathom.sqlite-shm", "secret.key"].map { directory + "/" + $0 }

        func openAndCheck() async throws {
            let services = try await AppServices.open(configuration: configuration, logger: logger)
            _ = try await services.identity.bootstrapAdmin()
            // No bit for group or others but, when run as root, traverse (the local provider's PostgreSQL user).
            let directoryMode = try Self.mode(directory)
            #expect(directoryMode & 0o066 == 0, "data directory \(String(directoryMode, radix: 8))")
            for file in files {
                #expect(FileManager.default.fileExists(atPath: file), "\(file)")
                let mode = try Self.mode(file)
                #expect(mode == 0o600, "\(file) is \(String(mode, radix: 8))")
            }
            await services.store.close()
        }
        try await openAndCheck()
        // An install from before: everything readable by everyone. The next start narrows it.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        for file in files where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        }
        try await openAndCheck()
    }
}
