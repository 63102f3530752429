@testable import FathomKit
import Foundation
import Logging

/// A fresh store on either backend with no migration applied: what a migration's test fills at an older version.
enum UnmigratedStore {
    static func with(_ backend: Store.Backend, _ body: (Store) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = backend == .postgres ? try await TestPostgres.createDatabase() : directory.appendingPathComponent("fathom.sqlite").path
        var logger = Logger(label: "fathom-test")
        logger.logLevel = .critical
        let store = try await Store.open(url: url, logger: logger)
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
