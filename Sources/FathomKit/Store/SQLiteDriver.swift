import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// Embedded SQLite in WAL mode: one writer connection (SQLiteNIO) behind a FIFO lock, a few reader connections of
/// Fathom's own that keep their statements prepared (`SQLiteReaderPool`).
final class SQLiteDriver: StoreDriver {
    private let writer: SQLiteConnection
    let readers: SQLiteReaderPool
    private let readerLogger: Logger
    private let version: (any SQLDatabaseReportedVersion)?
    /// Its own threads: a statement waiting on another process's lock blocks one of these, never shared ones.
    /// The writer has a thread of its own, so writes never queue behind a burst of reads.
    private let threadPool: NIOThreadPool
    private let writerThread: NIOThreadPool
    private let writeLock = AsyncLock()

    private init(writer: SQLiteConnection, readers: SQLiteReaderPool, readerLogger: Logger, threadPool: NIOThreadPool, writerThread: NIOThreadPool) {
        self.writer = writer
        self.readers = readers
        self.readerLogger = readerLogger
        // One SQLite library serves every connection: the writer's answer is the readers' too.
        self.version = writer.sql().version
        self.threadPool = threadPool
        self.writerThread = writerThread
    }

    static func open(path: String, logger: Logger, readerCount: Int = 4) async throws -> SQLiteDriver {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: directory) { try StoreFiles.secureDirectory(directory) }
        try StoreFiles.prepareDatabase(path)
        var quiet = logger
        quiet.logLevel = .warning
        let threadPool = NIOThreadPool(numberOfThreads: readerCount)
        threadPool.start()
        let writerThread = NIOThreadPool(numberOfThreads: 1)
        writerThread.start()
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        let writer = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: writerThread, logger: quiet, on: eventLoop)
        // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes in WAL mode.
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"] {
            _ = try await writer.query(pragma)
        }
        try await configure(writer)
        // The WAL and SHM files exist from here on; an older install may have left them readable by everyone.
        try StoreFiles.secureDatabaseFiles(path)
        // Readers see the file through a memory map: a page already in the kernel's cache costs no read call (an
        // export or a deep page walks hundreds of thousands of them). The mapped pages are the kernel's file
        // cache, shared by every reader. The writer keeps plain reads (a map made a large collect no faster).
        let readers: SQLiteReaderPool
        do {
            readers = try await SQLiteReaderPool.open(
                path: path, count: readerCount, mapBytes: Self.readerMapBytes, threadPool: threadPool)
        } catch {
            try? await writer.close()
            try? await threadPool.shutdownGracefully()
            try? await writerThread.shutdownGracefully()
            throw error
        }
        return SQLiteDriver(writer: writer, readers: readers, readerLogger: quiet, threadPool: threadPool, writerThread: writerThread)
    }

    static let readerMapBytes = 1 << 30

    /// Set on every connection, the readers' (`SQLiteReader`) too. Other processes (a second `fathom` command) may
    /// hold the write lock briefly: wait instead of failing. Each connection keeps 16 MiB of pages, so walks over
    /// millions of samples do not go to the kernel for every page. (A memory map and a larger cache for the writer
    /// were tried: they added their pages to the resident set and made a large collect no faster.)
    static let connectionPragmas = ["PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000", "PRAGMA cache_size=-16384"]

    private static func configure(_ connection: SQLiteConnection) async throws {
        for pragma in connectionPragmas {
            _ = try await connection.query(pragma)
        }
    }

    func withReader<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(SQLiteReaderDatabase(readers: readers, logger: readerLogger, eventLoop: writer.eventLoop, version: version))
    }

    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let (writer, writeLock) = (self.writer, self.writeLock)
        // A task of its own: the caller's cancellation must not reach the statements between BEGIN and COMMIT.
        return try await Task {
            try await writeLock.withLock {
                // IMMEDIATE takes the write lock up front so a transaction never fails half-way on a busy upgrade.
                try await SQLiteStoreDatabase(connection: writer).transaction(begin: "BEGIN IMMEDIATE", body)
            }
        }.value
    }

    func close() async {
        await readers.close()
        try? await writer.close()
        try? await threadPool.shutdownGracefully()
        try? await writerThread.shutdownGracefully()
    }
}
