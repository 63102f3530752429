import Foundation
import Logging
import Synchronization

/// What a handler gets: the job, a way to report progress, and a logger tagged with the job.
public struct JobContext: Sendable {
    public let job: Job
    /// 1 on the first run, 2 on the first retry …
    public var attempt: Int { job.attempts }
    public let logger: Logger
    let queue: JobQueue
    let owner: String

    /// Records progress (0–100 and a short message) for `/api/v1/task-runs`.
    public func progress(_ percent: Int, _ message: String? = nil) async {
        try? await queue.progress(job.id, owner: owner, attempt: job.attempts, percent: percent, message: message)
    }
}

/// A kind of job: its handler and its policies.
public struct JobKind: Sendable {
    public typealias Handler = @Sendable (JobContext) async throws -> JSONValue?

    public var name: String
    /// The handler is cancelled when a run takes longer than this.
    public var timeout: Duration
    public var maxAttempts: Int
    /// First retry delay; doubles per attempt (with jitter), capped at an hour.
    public var backoff: Duration
    /// Whether a run whose worker died is run again (idempotent work) or failed (work that must not repeat blindly).
    public var retryAfterWorkerLoss: Bool
    /// Whether a handler's retryable error runs it again. Kinds whose extra attempts exist only to resume after a
    /// crash (DBaaS operations) turn this off, so a failure is reported rather than repeated.
    public var retriesFailures: Bool
    /// Called when recovery gives up on a run whose worker died, so the kind can put its resources right.
    public var onGiveUp: (@Sendable (Job) async -> Void)?
    public var handler: Handler

    public init(
        _ name: String, timeout: Duration = .seconds(600), maxAttempts: Int = 3, backoff: Duration = .seconds(5),
        retryAfterWorkerLoss: Bool = true, retriesFailures: Bool = true, onGiveUp: (@Sendable (Job) async -> Void)? = nil,
        handler: @escaping Handler
    ) {
        self.retriesFailures = retriesFailures
        self.onGiveUp = onGiveUp
        self.name = name
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.retryAfterWorkerLoss = retryAfterWorkerLoss
        self.handler = handler
    }

    /// Delay before retry number `attempt` (1-based): backoff × 2^(attempt−1), ±20 % jitter, at most an hour.
    func retryDelayMillis(afterAttempt attempt: Int) -> Int64 {
        let base = Double(backoff.components.seconds) * 1000 + Double(backoff.components.attoseconds) / 1e15
        let raw = min(base * pow(2, Double(max(0, attempt - 1))), 3_600_000)
        return Int64(raw * Double.random(in: 0.8...1.2))
    }
}

/// Every job kind, registered in one place at start-up (`JobCatalog.register`).
public final class JobRegistry: Sendable {
    private let kinds = Mutex<[String: JobKind]>([:])

    public init() {}

    public func register(_ kind: JobKind) {
        kinds.withLock { $0[kind.name] = kind }
    }

    public func kind(_ name: String) -> JobKind? { kinds.withLock { $0[name] } }
    public var names: [String] { kinds.withLock { $0.keys.sorted() } }
}
