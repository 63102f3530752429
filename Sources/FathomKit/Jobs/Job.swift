import Foundation

/// A job's lifecycle state.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// `partial`: a job over many items (a collection) finished with some of them failed; the result says which.
    case queued, running, succeeded, partial, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .partial || self == .failed || self == .cancelled }
}

/// Thrown by a handler whose items did not all succeed: the run ends `partial` (some failed) or `failed` (all
/// did), never `succeeded` with failures inside, and is not retried (the next run covers them).
public struct ItemFailures: Error, Sendable {
    public var result: JSONValue
    public var failed: Int
    public var total: Int
    public var firstError: String

    public init(result: JSONValue, failed: Int, total: Int, firstError: String) {
        self.result = result
        self.failed = failed
        self.total = total
        self.firstError = firstError
    }
}

/// A durable unit of background work, as stored.
public struct Job: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var payload: JSONValue
    public var state: JobState
    public var priority: Int
    public var notBefore: Int64
    public var attempts: Int
    public var maxAttempts: Int
    public var leaseOwner: String?
    public var leaseExpiresAt: Int64?
    public var cancelRequested: Bool
    public var progressPercent: Int
    public var progressMessage: String?
    public var result: JSONValue?
    public var errorCode: String?
    public var errorMessage: String?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var updatedAt: Int64
}

/// What to enqueue.
public struct NewJob: Sendable {
    public var kind: String
    public var payload: JSONValue
    public var priority: Int
    public var notBefore: Date?
    public var maxAttempts: Int?
    /// The project the job works for, when it works for one (tenants see only their projects' task runs).
    public var projectId: String?

    public init(
        kind: String, payload: JSONValue = [:], priority: Int = 0, notBefore: Date? = nil, maxAttempts: Int? = nil,
        projectId: String? = nil
    ) {
        self.projectId = projectId
        self.kind = kind
        self.payload = payload
        self.priority = priority
        self.notBefore = notBefore
        self.maxAttempts = maxAttempts
    }
}

/// A job as `/api/v1/task-runs` shows it.
public struct TaskRunView: Encodable, Sendable {
    public var id: Int64
    public var kind: String
    public var state: JobState
    public var priority: Int
    public var attempts: Int
    public var max_attempts: Int
    public var progress_percent: Int
    public var progress_message: String?
    public var cancel_requested: Bool
    public var payload: JSONValue
    public var result: JSONValue?
    public var error: [String: String]?
    public var not_before: String
    public var created_at: String
    public var started_at: String?
    public var finished_at: String?
    public var updated_at: String
    public var duration_ms: Int64?

    public init(_ job: Job) { self.init(job, showDetail: false) }

    /// `showDetail`: the error's administrators-only part (see `AdminDetail`) is included.
    public init(_ job: Job, showDetail: Bool) {
        id = job.id
        kind = job.kind
        state = job.state
        priority = job.priority
        attempts = job.attempts
        max_attempts = job.maxAttempts
        progress_percent = job.progressPercent
        progress_message = job.progressMessage
        cancel_requested = job.cancelRequested
        payload = job.payload
        result = job.result
        error = job.errorCode.map { code in
            let message = job.errorMessage ?? ""
            var error = ["code": code, "message": AdminDetail.publicPart(message)]
            if showDetail, let detail = AdminDetail.detail(message) { error["detail"] = detail }
            return error
        }
        not_before = Timestamp.iso8601(millis: job.notBefore)
        created_at = Timestamp.iso8601(millis: job.createdAt)
        started_at = job.startedAt.map(Timestamp.iso8601(millis:))
        finished_at = job.finishedAt.map(Timestamp.iso8601(millis:))
        updated_at = Timestamp.iso8601(millis: job.updatedAt)
        if let started = job.startedAt, let finished = job.finishedAt { duration_ms = finished - started }
    }
}
