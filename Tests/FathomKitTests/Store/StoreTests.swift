@testable import FathomKit
import Foundation
import _ConnectionPoolModule
import SQLKit
import Testing

@Suite(.timeLimit(.minutes(5))) struct StoreTests {
    @Test(
        .enabled(if: TestPostgres.isAvailable, "PostgreSQL server binaries not found: PostgreSQL variants are skipped"))
    func postgresServerStartsForTheSuite() async throws {
        let url = try await TestPostgres.createDatabase()
        #expect(url.hasPrefix("postgres://"))
    }

    @Test(arguments: Backends.all)
    func migrationsApplyOnceAndReadyReportsCurrent(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let store = harness.services.store
            #expect(try await Migrations.currentVersion(of: store) == Migrations.latestVersion)
            #expect(try await Migrations.run(on: store).isEmpty)
            let ready = try await harness.test { client in try await client.send(.get, "/readyz") }
            #expect(ready.status == .ok)
            #expect(ready.json["status"] == "ready")
            #expect(ready.json["schema_version"]?.intValue == Int64(Migrations.latestVersion))
        }
    }

    @Test(arguments: Backends.all)
    func transactionRollsBackEverythingOnError(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let store = harness.services.store
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await store.write { db in
                    try await db.raw(
                        """
                        INSERT INTO users (id, username, password_hash, role, disabled, created_at, updated_at)
                        VALUES ('u_x', 'half', 'h', 'viewer', \(bind: false), 0, 0)
                        """
                    ).run()
                    throw Boom()
                }
            }
            let found = try await harness.services.identity.users.find(username: "half")
            #expect(found == nil)
        }
    }

    @Test(arguments: Backends.all)
    func uniqueViolationIsMappedToTheRegistry(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let insert: @Sendable (any SQLDatabase) async throws -> Void = { db in
                try await db.raw(
                    """
                    INSERT INTO users (id, username, password_hash, role, disabled, created_at, updated_at)
                    VALUES ('u_dup', 'dup', 'h', 'viewer', \(bind: false), 0, 0)
                    """
                ).run()
            }
            try await harness.services.store.write(insert)
            do {
                try await harness.services.store.write(insert)
                Issue.record("second insert should fail")
            } catch let error as StoreError {
                #expect(error.isUniqueViolation)
            }
        }
    }

    @Test(arguments: Backends.all)
    func concurrentWritesAllLand(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let counters = harness.services.store
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await counters.write { db in
                            try await db.raw(
                                """
                                INSERT INTO rate_counters (bucket, window_start, count, expires_at)
                                VALUES ('b', \(bind: index), 1, 0)
                                """
                            ).run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await counters.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM rate_counters WHERE bucket = 'b'").first()?
                    .decode(column: "n", as: Int.self)
            }
            #expect(count == 50)
        }
    }

    @Test func unreachablePostgresIsStoreUnavailable() async throws {
        let port = try FreePort.find()
        var logger = Logging.Logger(label: "t")
        logger.logLevel = .critical
        let store = try await Store.open(url: "postgres://u:p@127.0.0.1:\(port)/db", logger: logger)
        defer { Task { await store.close() } }
        let started = ContinuousClock.now
        #expect(await store.ping() == false)
        // Well before the pool gives up (a minute); the bound leaves room for a loaded test machine.
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func driverErrorsMapToStoreErrors() {
        #expect(StoreError(ConnectionPoolError.connectionCreationCircuitBreakerTripped)?.appError.code == .storeUnavailable)
    }
}

import Logging

@Suite(.timeLimit(.minutes(5))) struct SecretBoxTests {
    @Test func sealsAndOpensAndDetectsTampering() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let box = try SecretBox.load(environmentKey: nil, dataDir: directory)
        let sealed = try box.seal("hunter2-password")
        #expect(!sealed.contains("hunter2"))
        #expect(try box.open(sealed) == "hunter2-password")
        // The key file is private to the owner and reused on the next start.
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/secret.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try SecretBox.load(environmentKey: nil, dataDir: directory).open(sealed) == "hunter2-password")
        // Flipping one byte of the ciphertext is detected.
        var bytes = Array(Data(base64Encoded: String(sealed.dropFirst(3)))!)
        bytes[bytes.count / 2] ^= 0xFF
        #expect(throws: (any Error).self) { try box.open("v1:" + Data(bytes).base64EncodedString()) }
        // A different key cannot open it.
        let other = try SecretBox.load(environmentKey: "another passphrase", dataDir: directory)
        #expect(throws: (any Error).self) { try other.open(sealed) }
    }
}
