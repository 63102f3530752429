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
    /// Deadlines of the requests still waiting for a connection.
    private let deadlines = AcquireDeadlines()
    /// Whether reads are prepared once per connection (`PostgresPreparedStatements`; off with `FATHOM_PG_PREPARED=0`).
    let prepareReads: Bool

    init(
        url: String, logger: Logger, maximumConnections: Int = 20, acquireTimeout: Duration = .seconds(3),
        prepareReads: Bool = PostgresPreparedStatements.enabledByEnvironment
    ) throws {
        self.acquireTimeout = acquireTimeout
        self.prepareReads = prepareReads
        var configuration = try Self.configuration(from: url)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        if prepareReads && PostgresPreparedStatements.forcesGenericPlansByEnvironment {
            // Unnamed statements are planned per call whatever this says; it changes only the prepared reads.
            configuration.options.additionalStartupParameters.append(("plan_cache_mode", "force_generic_plan"))
        }
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

    /// Reads run their statements prepared: outside a transaction, a prepared statement that fails (lost by the
    /// server, or its tables changed) can simply run again unnamed. Writes do not: inside a transaction that error
    /// would abort all of it.
    func withReader<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let prepareReads = self.prepareReads
        return try await withBoundedConnection { connection in
            try await body(PostgresStoreDatabase(connection: connection, prepareReads: prepareReads))
        }
    }

    /// The transaction runs in the lease's own task, so a cancelled caller never interrupts it half-way.
    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withBoundedConnection { connection in
            try await PostgresStoreDatabase(connection: connection).transaction(body)
        }
    }

    /// Autocommit: the statement is its own transaction. The lease's own task keeps a cancelled caller from
    /// interrupting it.
    func withSingleStatement<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withBoundedConnection { connection in
            try await body(PostgresStoreDatabase(connection: connection))
        }
    }

    /// Runs `body` on a pooled connection, failing with `StoreError.unavailable` when none can be had within
    /// `acquireTimeout`. While the server is down the pool keeps retrying for a minute before it fails waiting
    /// requests; a request must be answered (503) long before that. Exactly one of the deadline and `body` wins, so
    /// a request answered "unavailable" never runs its statements afterwards. The losing lease is cancelled but not
    /// awaited: however the pool treats a cancelled request, the caller is never held by it.
    ///
    /// Per statement this costs one task (the lease) and one continuation; the deadline is an entry in
    /// `deadlines`, swept by a single task, not a sleeping task of its own (three tasks and a timer per statement
    /// were a measurable share of a request's CPU).
    private func withBoundedConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let race = AcquireRace()
        let client = self.client
        let unreachable = self.unreachable
        let deadlines = self.deadlines
        // Once the store is known to be down, requests fail fast instead of each waiting the full timeout.
        let timeout = unreachable.isSet ? min(acquireTimeout, .milliseconds(500)) : acquireTimeout
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let answer = ResumeOnce(continuation)
            let lease = CancellableLease()
            let waiter = deadlines.add(deadline: .now + timeout) {
                guard race.claim(.timedOut) else { return }
                unreachable.set(true)
                answer.resume(.failure(StoreError.unavailable))
                // A lease still waiting leaves the pool's queue; one whose connection already arrived is unaffected.
                lease.cancel()
            }
            lease.start {
                do {
                    let value = try await client.withConnection { connection in
                        guard race.claim(.acquired) else { throw StoreError.unavailable }
                        deadlines.remove(waiter)
                        unreachable.set(false)
                        return try await body(connection)
                    }
                    answer.resume(.success(value))
                } catch {
                    deadlines.remove(waiter)
                    answer.resume(.failure(error))
                }
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

/// The task that leases a connection, cancellable from the deadline even if the deadline comes first.
final class CancellableLease: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(_ operation: @escaping @Sendable () async -> Void) {
        let task = Task { await operation() }
        let cancelled = state.withLock { state -> Bool in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}

/// Deadlines of connection requests, checked every `tick` by one task that runs only while some are waiting:
/// adding and removing one is a dictionary update under a lock, where a timer per request cost a task and a
/// dispatch timer. A deadline fires at most one tick late.
final class AcquireDeadlines: Sendable {
    private struct Waiter {
        var deadline: ContinuousClock.Instant
        var expire: @Sendable () -> Void
    }

    private struct State {
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
        var sweeping = false
    }

    private let state = Mutex(State())
    private let tick: Duration

    init(tick: Duration = .milliseconds(50)) { self.tick = tick }

    /// Calls `expire` once `deadline` has passed, unless the returned id is removed first.
    func add(deadline: ContinuousClock.Instant, expire: @escaping @Sendable () -> Void) -> Int {
        let (id, startSweeping) = state.withLock { state -> (Int, Bool) in
            let id = state.nextID
            state.nextID &+= 1
            state.waiters[id] = Waiter(deadline: deadline, expire: expire)
            defer { state.sweeping = true }
            return (id, !state.sweeping)
        }
        if startSweeping { Task { await self.sweep() } }
        return id
    }

    func remove(_ id: Int) {
        state.withLock { _ = $0.waiters.removeValue(forKey: id) }
    }

    /// Fires what is due every tick; stops when nothing waits (the next `add` starts it again).
    private func sweep() async {
        while true {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let (due, done) = state.withLock { state -> ([Waiter], Bool) in
                var due: [Waiter] = []
                for (id, waiter) in state.waiters where waiter.deadline <= now {
                    due.append(waiter)
                    state.waiters[id] = nil
                }
                if state.waiters.isEmpty { state.sweeping = false }
                return (due, !state.sweeping)
            }
            for waiter in due { waiter.expire() }
            if done { return }
        }
    }
}
