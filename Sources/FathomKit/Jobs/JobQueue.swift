import Foundation
import SQLKit

/// SQL of the durable job queue. Every update of a running job is fenced by its lease (owner + attempt), so a
/// worker that lost its lease can no longer change the job.
public struct JobQueue: Sendable {
    let store: Store
    let clock: WallClock

    public init(store: Store, clock: WallClock) {
        self.store = store
        self.clock = clock
    }

    static let columns = """
        id, kind, payload, state, priority, not_before, attempts, max_attempts, lease_owner, lease_expires_at,
        cancel_requested, progress_percent, progress_message, result, error_code, error_message, created_at,
        started_at, finished_at, updated_at
        """

    static func decode(_ row: any SQLRow) throws -> Job {
        Job(
            id: try row.int64("id"), kind: try row.string("kind"), payload: JSONText.decode(try row.string("payload")),
            state: JobState(rawValue: try row.string("state")) ?? .failed, priority: try row.int("priority"),
            notBefore: try row.int64("not_before"), attempts: try row.int("attempts"),
            maxAttempts: try row.int("max_attempts"), leaseOwner: try row.optionalString("lease_owner"),
            leaseExpiresAt: try row.optionalInt64("lease_expires_at"), cancelRequested: try row.bool("cancel_requested"),
            progressPercent: try row.int("progress_percent"), progressMessage: try row.optionalString("progress_message"),
            result: try row.optionalString("result").map(JSONText.decode), errorCode: try row.optionalString("error_code"),
            errorMessage: try row.optionalString("error_message"), createdAt: try row.int64("created_at"),
            startedAt: try row.optionalInt64("started_at"), finishedAt: try row.optionalInt64("finished_at"),
            updatedAt: try row.int64("updated_at"))
    }

    // MARK: Enqueue

    /// Inserts a job inside a caller's transaction, so the job exists exactly when the caller's rows do.
    static func insert(_ job: NewJob, maxAttempts: Int, now: Int64, on db: any SQLDatabase) async throws -> Int64 {
        let notBefore = job.notBefore.map(Millis.from) ?? now
        let row = try await db.raw(
            """
            INSERT INTO jobs (kind, payload, state, priority, not_before, attempts, max_attempts, cancel_requested,
                              progress_percent, created_at, updated_at, project_id)
            VALUES (\(bind: job.kind), \(bind: JSONText.encode(job.payload)), 'queued', \(bind: job.priority),
                    \(bind: notBefore), 0, \(bind: job.maxAttempts ?? maxAttempts), \(bind: false), 0, \(bind: now),
                    \(bind: now), \(bind: job.projectId))
            RETURNING id
            """
        ).first()
        guard let id = try row?.int64("id") else { throw AppError(.dbWriteFailed) }
        return id
    }

    // MARK: Claim and lease

    /// Moves up to `limit` due jobs of the given kinds to running under `owner`'s lease.
    func claim(owner: String, kinds: [String], limit: Int, leaseMillis: Int64) async throws -> [Job] {
        let now = clock.millis()
        let skipLocked: SQLQueryString = store.backend == .postgres ? "FOR UPDATE SKIP LOCKED" : ""
        return try await store.write(observed: false) { db in
            try await db.raw(
                """
                UPDATE jobs SET state = 'running', lease_owner = \(bind: owner),
                    lease_expires_at = \(bind: now + leaseMillis), attempts = attempts + 1,
                    started_at = COALESCE(started_at, \(bind: now)), updated_at = \(bind: now)
                WHERE id IN (
                    SELECT id FROM jobs
                    WHERE state = 'queued' AND not_before <= \(bind: now) AND kind IN (\(binds: kinds))
                    ORDER BY priority DESC, id LIMIT \(bind: limit) \(skipLocked))
                RETURNING \(unsafeRaw: Self.columns)
                """
            ).all().map(Self.decode)
        }
    }

    /// The jobs a heartbeat found still leased to the runner, and those of them asked to cancel.
    struct Heartbeat: Sendable {
        var held: Set<Int64>
        var cancelRequested: [Int64]
    }

    /// Extends the leases of `owner`'s running jobs.
    func heartbeat(owner: String, leaseMillis: Int64) async throws -> Heartbeat {
        let now = clock.millis()
        return try await store.write(observed: false) { db in
            let rows = try await db.raw(
                """
                UPDATE jobs SET lease_expires_at = \(bind: now + leaseMillis)
                WHERE lease_owner = \(bind: owner) AND state = 'running'
                RETURNING id, cancel_requested
                """
            ).all()
            var beat = Heartbeat(held: [], cancelRequested: [])
            for row in rows {
                let id = try row.int64("id")
                beat.held.insert(id)
                if try row.bool("cancel_requested") { beat.cancelRequested.append(id) }
            }
            return beat
        }
    }

    // MARK: Finish

    /// How a claimed attempt ended.
    enum Outcome: Sendable {
        case succeeded(JSONValue?)
        /// Some items failed: the result is kept with the count in the message.
        case partial(JSONValue?, message: String)
        /// `result`: what each item did, when a run over many items failed on all of them.
        case failed(code: String, message: String, result: JSONValue? = nil)
        case cancelled
        case retry(after: Int64, code: String, message: String)
    }

    /// One attempt's outcome to record.
    struct Finish: Sendable {
        var id: Int64
        var owner: String
        var attempt: Int
        var outcome: Outcome
    }

    /// Records the outcome of attempt `attempt` held by `owner`; false if the lease was lost meanwhile.
    @discardableResult
    func finish(_ id: Int64, owner: String, attempt: Int, _ outcome: Outcome) async throws -> Bool {
        try await finish([Finish(id: id, owner: owner, attempt: attempt, outcome: outcome)])[0]
    }

    /// Records several outcomes in one transaction (the runner groups completions this way).
    func finish(_ items: [Finish]) async throws -> [Bool] {
        let now = clock.millis()
        return try await store.write { db in
            var recorded: [Bool] = []
            for item in items {
                let rows = try await db.raw(
                    """
                    UPDATE jobs SET \(Self.assignments(item.outcome, now: now)), lease_owner = NULL,
                        lease_expires_at = NULL, updated_at = \(bind: now)
                    WHERE id = \(bind: item.id) AND lease_owner = \(bind: item.owner) AND attempts = \(bind: item.attempt)
                      AND state = 'running'
                    RETURNING id
                    """
                ).all()
                recorded.append(!rows.isEmpty)
            }
            return recorded
        }
    }

    private static func assignments(_ outcome: Outcome, now: Int64) -> SQLQueryString {
        switch outcome {
        case .succeeded(let result):
            return """
                state = 'succeeded', progress_percent = 100, result = \(bind: result.map(JSONText.encode)),
                finished_at = \(bind: now)
                """
        case .partial(let result, let message):
            return """
                state = 'partial', progress_percent = 100, result = \(bind: result.map(JSONText.encode)),
                error_code = 'JOB_PARTIAL', error_message = \(bind: message), finished_at = \(bind: now)
                """
        case .failed(let code, let message, let result):
            return """
                state = 'failed', result = \(bind: result.map(JSONText.encode)), error_code = \(bind: code),
                error_message = \(bind: message), finished_at = \(bind: now)
                """
        case .cancelled:
            return "state = 'cancelled', error_code = 'JOB_CANCELLED', error_message = 'Cancelled', finished_at = \(bind: now)"
        case .retry(let after, let code, let message):
            return """
                state = 'queued', not_before = \(bind: now + after), error_code = \(bind: code),
                error_message = \(bind: message)
                """
        }
    }

    func progress(_ id: Int64, owner: String, attempt: Int, percent: Int, message: String?) async throws {
        let now = clock.millis()
        try await store.write(observed: false) { db in
            try await db.raw(
                """
                UPDATE jobs SET progress_percent = \(bind: max(0, min(100, percent))), progress_message = \(bind: message),
                    updated_at = \(bind: now)
                WHERE id = \(bind: id) AND lease_owner = \(bind: owner) AND attempts = \(bind: attempt)
                  AND state = 'running'
                """
            ).run()
        }
    }

    // MARK: Cancel

    /// Cancels a queued job at once; asks a running one to stop (its worker sees the request within a heartbeat).
    /// Returns the job afterwards, nil if it does not exist.
    public func requestCancel(_ id: Int64) async throws -> Job? {
        let now = clock.millis()
        return try await store.write { db in
            try await db.raw(
                """
                UPDATE jobs SET state = 'cancelled', error_code = 'JOB_CANCELLED', error_message = 'Cancelled',
                    finished_at = \(bind: now), updated_at = \(bind: now)
                WHERE id = \(bind: id) AND state = 'queued'
                """
            ).run()
            try await db.raw(
                """
                UPDATE jobs SET cancel_requested = \(bind: true), updated_at = \(bind: now)
                WHERE id = \(bind: id) AND state = 'running'
                """
            ).run()
            return try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE id = \(bind: id)").first()
                .map(Self.decode)
        }
    }

    // MARK: Recovery

    /// Running jobs whose lease ran out: their worker died or hung.
    func expiredLeases(limit: Int = 100) async throws -> [Job] {
        let now = clock.millis()
        return try await store.read { db in
            try await db.raw(
                """
                SELECT \(unsafeRaw: Self.columns) FROM jobs
                WHERE state = 'running' AND lease_expires_at < \(bind: now)
                ORDER BY id LIMIT \(bind: limit)
                """
            ).all().map(Self.decode)
        }
    }

    /// Takes an abandoned job back from its dead lease: queued again, or failed. Fenced like `finish`.
    func recover(_ job: Job, requeue: Bool) async throws -> Bool {
        let owner = job.leaseOwner ?? ""
        if requeue {
            return try await finish(
                job.id, owner: owner, attempt: job.attempts,
                .retry(after: 0, code: "JOB_LEASE_EXPIRED", message: "Worker lost its lease; retrying"))
        }
        return try await finish(
            job.id, owner: owner, attempt: job.attempts,
            .failed(code: "JOB_LEASE_EXPIRED", message: "Worker lost its lease; not retried for this kind"))
    }

    // MARK: Reads

    public func get(_ id: Int64) async throws -> Job? {
        try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// A job the tenant scope admits: any for the fleet, else only one working for one of the scope's projects.
    public func get(_ id: Int64, scope: TenantScope) async throws -> Job? {
        guard let projects = scope.projectIds else { return try await get(id) }
        guard !projects.isEmpty else { return nil }
        return try await store.read { db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE id = \(bind: id) AND project_id IN (\(binds: projects))"
            ).first().map(Self.decode)
        }
    }

    /// Newest first, filtered by kind and state (and, for a tenant, to jobs working for `projects`).
    public func list(kind: String?, state: JobState?, projects: [String]? = nil, offset: Int, limit: Int) async throws
        -> (items: [Job], total: Int)
    {
        var conditions: [SQLQueryString] = []
        if let projects { conditions.append(projects.isEmpty ? "1 = 0" : "project_id IN (\(binds: projects))") }
        if let kind { conditions.append("kind = \(bind: kind)") }
        if let state { conditions.append("state = \(bind: state.rawValue)") }
        let query = OffsetPageQuery(
            columns: SQLQueryString(Self.columns), from: "jobs",
            filter: conditions.isEmpty ? "1 = 1" : conditions.joined(separator: " AND "), orderBy: "id DESC")
        return try await store.read { db in try await query.run(on: db, limit: limit, offset: offset, decode: Self.decode) }
    }

    /// Job counts per kind and state, for metrics.
    func counts() async throws -> [(kind: String, state: String, count: Int)] {
        try await store.read { db in
            try await db.raw(
                "SELECT kind, state, COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY kind, state"
            ).all().map { (try $0.string("kind"), try $0.string("state"), try $0.int("n")) }
        }
    }

    /// Deletes finished jobs older than `age` milliseconds.
    func prune(olderThan age: Int64) async throws -> Int {
        let cutoff = clock.millis() - age
        return try await store.write { db in
            try await db.raw(
                """
                DELETE FROM jobs WHERE state IN ('succeeded', 'partial', 'failed', 'cancelled') AND finished_at < \(bind: cutoff)
                RETURNING id
                """
            ).all().count
        }
    }
}

/// JSON stored as text columns.
enum JSONText {
    static func encode(_ value: JSONValue) -> String {
        (try? String(decoding: JSONCoding.encoder().encode(value), as: UTF8.self)) ?? "null"
    }

    /// Text that is not JSON reads as null. The byte reader of collector output, not `JSONDecoder`: reaching
    /// `JSONValue` through `Codable` tries each type in turn, and stored records are read by the hundred thousand
    /// (asset detail, export, duplicate detection).
    static func decode(_ text: String) -> JSONValue {
        var text = text
        return (try? text.withUTF8 { bytes in try CollectorJSON.parse(bytes) }) ?? .null
    }

    /// Only `paths` of the text's object (see `JSONPaths`); text that is not JSON reads as null.
    static func decode(_ text: String, keeping paths: JSONPaths) -> JSONValue {
        var text = text
        return (try? text.withUTF8 { bytes in try CollectorJSON.parse(bytes, keeping: paths) }) ?? .null
    }
}
