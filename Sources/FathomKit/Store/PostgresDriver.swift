import Foundation
import Logging
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// PostgreSQL through PostgresNIO's connection pool; several Fathom replicas may share one server.
final class PostgresDriver: StoreDriver {
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    /// How long a request waits for a connection before the store counts as unavailable.
    let acquireTimeout: Duration
    /// Set when a request found no connection in time, cleared by the next one that gets a connection.
    private let unreachable = Flag()

    init(url: String, logger: Logger, maximumConnections: Int = 20, acquireTimeout: Duration = .seconds(3)) throws {
        self.acquireTimeout = acquireTimeout
        var configuration = try Self.configuration(from: url)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        // A server that is down refuses at once; one that does not answer must not hold a request for long.
        configuration.options.connectTimeout = acquireTimeout
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.runTask = Task { await client.run() }
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=…`.
    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty,
            let user = components.user, !user.isEmpty
        else {
            throw StoreError.invalidURL("expected postgres://user:password@host:port/database")
        }
        let database = components.path.split(separator: "/").first.map(String.init)
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw StoreError.invalidURL("unknown sslmode '\(sslMode)'")
        }
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user,
            password: components.password?.removingPercentEncoding, database: database, tls: tls)
    }

    func withReader<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withBoundedConnection { connection in
            try await body(connection.sql())
        }
    }

    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withBoundedConnection { connection in
            try await connection.sql().transaction(body)
        }
    }

    /// Runs `body` on a pooled connection, failing with `StoreError.unavailable` when none can be had within
    /// `acquireTimeout`. While the server is down the pool keeps retrying for a minute before it fails waiting
    /// requests; a request must be answered (503) long before that. Exactly one of the timer and `body` wins, so a
    /// request answered "unavailable" never runs its statements afterwards. The losing lease is cancelled but not
    /// awaited: however the pool treats a cancelled request, the caller is never held by it.
    private func withBoundedConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let race = AcquireRace()
        let client = self.client
        let unreachable = self.unreachable
        // Once the store is known to be down, requests fail fast instead of each waiting the full timeout.
        let timeout = unreachable.isSet ? min(acquireTimeout, .milliseconds(500)) : acquireTimeout
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let answer = ResumeOnce(continuation)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled, race.claim(.timedOut) else { return }
                unreachable.set(true)
                answer.resume(.failure(StoreError.unavailable))
            }
            let lease = Task {
                do {
                    let value = try await client.withConnection { connection in
                        guard race.claim(.acquired) else { throw StoreError.unavailable }
                        unreachable.set(false)
                        return try await body(connection)
                    }
                    answer.resume(.success(value))
                } catch {
                    answer.resume(.failure(error))
                }
                timer.cancel()
            }
            // Cancelling a lease whose connection already arrived does nothing; one still waiting leaves the queue.
            Task {
                await timer.value
                if race.timedOut { lease.cancel() }
            }
        }
    }

    func close() async {
        runTask.cancel()
        _ = await runTask.value
    }
}

/// Decides, once, whether a connection arrived before the acquisition deadline.
final class AcquireRace: Sendable {
    enum Winner: Sendable { case acquired, timedOut }

    private let winner = Mutex<Winner?>(nil)

    /// True if `side` is first; the other side then loses.
    func claim(_ side: Winner) -> Bool {
        winner.withLock { winner in
            guard winner == nil else { return false }
            winner = side
            return true
        }
    }

    var timedOut: Bool { winner.withLock { $0 == .timedOut } }
}

/// Resumes a continuation with the first result given; later ones are dropped.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    func resume(_ result: Result<T, any Error>) {
        let pending = continuation.withLock { stored -> CheckedContinuation<T, any Error>? in
            defer { stored = nil }
            return stored
        }
        pending?.resume(with: result)
    }
}

/// A boolean shared between tasks.
final class Flag: Sendable {
    private let value = Mutex(false)

    var isSet: Bool { value.withLock { $0 } }
    func set(_ newValue: Bool) { value.withLock { $0 = newValue } }
}
