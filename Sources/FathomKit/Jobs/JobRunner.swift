import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A bounded pool of workers that claims jobs from the store, keeps their leases alive with heartbeats,
/// delivers cancellation, retries with backoff, and recovers jobs whose worker died.
public final class JobRunner: Service, Sendable {
    public struct Options: Sendable {
        public var concurrency = ProcessInfo.processInfo.activeProcessorCount
        public var lease: Duration = .seconds(30)
        /// How often leases are extended and cancel requests from other replicas are picked up.
        public var heartbeat: Duration = .seconds(1)
        /// How long an idle runner waits before looking for work that other replicas enqueued.
        public var poll: Duration = .milliseconds(500)
        public var recoveryInterval: Duration = .seconds(5)
        /// On shutdown, running jobs get this long to finish before they are interrupted and released.
        public var shutdownGrace: Duration = .seconds(10)

        public init() {}
    }

    /// Why a running job's task was cancelled.
    enum StopReason: Sendable {
        case cancelRequested, leaseLost, shutdown
    }

    private struct Running {
        /// The handler's task; cancelling it stops the handler (the outcome is still recorded).
        var work: Task<JobQueue.Outcome, Never>?
        var reason: StopReason?
    }

    public let owner: String
    let queue: JobQueue
    let registry: JobRegistry
    let options: Options
    let logger: Logger
    let metrics: MetricsRegistry?
    private let running = Mutex<[Int64: Running]>([:])
    private let wakeSignal = WakeSignal()
    /// Outcomes are committed in shared transactions (see `GroupCommit`).
    private let outcomes: GroupCommit<JobQueue.Finish, Bool>

    public init(queue: JobQueue, registry: JobRegistry, options: Options = Options(), logger: Logger, metrics: MetricsRegistry? = nil) {
        self.queue = queue
        self.registry = registry
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.outcomes = GroupCommit { items in try await queue.finish(items) }
        self.owner = "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(Secrets.randomToken(bytes: 4))"
    }

    private var leaseMillis: Int64 { Int64(options.lease.components.seconds * 1000) }

    /// Tells an idle runner that work may be waiting (called after a local enqueue).
    public func wake() { wakeSignal.notify() }

    /// Service entry point: runs until graceful shutdown, then drains.
    public func run() async throws {
        let loops = start()
        try? await gracefulShutdown()
        await stop(loops)
    }

    /// Starts claiming, heartbeats and recovery; `stop` ends them.
    public func start() -> Task<Void, Never> {
        Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeatLoop() }
                group.addTask { await self.recoveryLoop() }
                group.addTask { await self.claimLoop() }
            }
        }
    }

    /// Stops claiming, lets running jobs finish within the grace period, then interrupts and releases the rest.
    public func stop(_ loops: Task<Void, Never>) async {
        loops.cancel()
        await loops.value
        let deadline = ContinuousClock.now + options.shutdownGrace
        while runningCount > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for id in running.withLock({ Array($0.keys) }) { stopJob(id, .shutdown) }
        while runningCount > 0 { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Cancels a job running in this process now (other replicas learn of it at their next heartbeat).
    public func cancelLocally(_ id: Int64) { stopJob(id, .cancelRequested) }

    var runningCount: Int { running.withLock { $0.count } }

    // MARK: Loops

    private func claimLoop() async {
        let kinds = registry.names
        while !Task.isCancelled {
            let free = options.concurrency - runningCount
            var claimed: [Job] = []
            if free > 0 && !kinds.isEmpty {
                do {
                    claimed = try await queue.claim(owner: owner, kinds: kinds, limit: free, leaseMillis: leaseMillis)
                } catch {
                    logger.warning("claiming jobs failed", metadata: ["error": .string("\(type(of: error))")])
                }
            }
            for job in claimed { launch(job) }
            if claimed.isEmpty || runningCount >= options.concurrency {
                await wakeSignal.wait(timeout: options.poll)
            }
        }
    }

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.heartbeat)
            let local = running.withLock { Set($0.keys) }
            guard !local.isEmpty else { continue }
            do {
                let beat = try await queue.heartbeat(owner: owner, leaseMillis: leaseMillis)
                for id in beat.cancelRequested { stopJob(id, .cancelRequested) }
                // A job we run that the store no longer gives us was recovered elsewhere: stop our copy.
                for id in local.subtracting(beat.held) { stopJob(id, .leaseLost) }
            } catch {
                logger.warning("job heartbeat failed", metadata: ["error": .string("\(type(of: error))")])
            }
        }
    }

    private func recoveryLoop() async {
        while !Task.isCancelled {
            await recoverAbandoned()
            try? await Task.sleep(for: options.recoveryInterval)
        }
    }

    /// Requeues or fails jobs whose lease expired (their worker died), as each kind's policy says.
    public func recoverAbandoned() async {
        do {
            for job in try await queue.expiredLeases() {
                let kind = registry.kind(job.kind)
                let requeue = (kind?.retryAfterWorkerLoss ?? true) && job.attempts < job.maxAttempts
                if try await queue.recover(job, requeue: requeue) {
                    if !requeue, let onGiveUp = kind?.onGiveUp { await onGiveUp(job) }
                    logger.warning(
                        "recovered abandoned job",
                        metadata: ["job_id": .stringConvertible(job.id), "kind": .string(job.kind), "requeued": .stringConvertible(requeue)])
                    metrics?.increment(
                        "fathom_jobs_recovered_total", help: "Jobs taken back from a dead worker's lease.", labels: ["kind": job.kind])
                }
            }
            if registry.names.isEmpty == false { wake() }
        } catch {
            logger.warning("job recovery failed", metadata: ["error": .string("\(type(of: error))")])
        }
    }

    // MARK: Running one job

    private func launch(_ job: Job) {
        running.withLock { $0[job.id] = Running() }
        let work = Task { await execute(job) }
        running.withLock { entries in
            entries[job.id]?.work = work
            if entries[job.id]?.reason != nil { work.cancel() }
        }
        // The bookkeeping task is never cancelled, so the outcome of a cancelled handler is still recorded.
        Task {
            let started = ContinuousClock.now
            let outcome = await work.value
            do {
                _ = try await outcomes.submit(.init(id: job.id, owner: owner, attempt: job.attempts, outcome: outcome))
            } catch {
                // The lease will run out and recovery will decide what happens to the job.
                logger.error("recording job outcome failed", metadata: ["job_id": .stringConvertible(job.id)])
            }
            let elapsed = ContinuousClock.now - started
            metrics?.increment(
                "fathom_jobs_finished_total", help: "Job attempts by kind and outcome.",
                labels: ["kind": job.kind, "outcome": Self.label(outcome)])
            metrics?.observe(
                "fathom_job_duration_seconds", help: "Job attempt duration by kind.", labels: ["kind": job.kind],
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            running.withLock { _ = $0.removeValue(forKey: job.id) }
            wakeSignal.notify()
        }
    }

    private func stopJob(_ id: Int64, _ reason: StopReason) {
        let work = running.withLock { entries -> Task<JobQueue.Outcome, Never>? in
            guard entries[id] != nil else { return nil }
            if entries[id]?.reason == nil { entries[id]?.reason = reason }
            return entries[id]?.work
        }
        work?.cancel()
    }

    private func stopReason(_ id: Int64) -> StopReason? { running.withLock { $0[id]?.reason } }

    private func execute(_ job: Job) async -> JobQueue.Outcome {
        guard let kind = registry.kind(job.kind) else {
            return .failed(code: "JOB_KIND_UNKNOWN", message: "No handler for job kind '\(job.kind)'")
        }
        var jobLogger = logger
        jobLogger[metadataKey: "job_id"] = .stringConvertible(job.id)
        jobLogger[metadataKey: "job_kind"] = .string(job.kind)
        let context = JobContext(job: job, logger: jobLogger, queue: queue, owner: owner)
        do {
            let result = try await Self.withDeadline(kind.timeout) { try await kind.handler(context) }
            return .succeeded(result)
        } catch {
            switch stopReason(job.id) {
            case .cancelRequested:
                return .cancelled
            case .shutdown:
                return .retry(after: 0, code: "JOB_INTERRUPTED", message: "Worker shut down; the job will run again")
            case .leaseLost:
                return .failed(code: "JOB_LEASE_EXPIRED", message: "Lease lost")
            case nil:
                break
            }
            if let items = error as? ItemFailures {
                let message = "\(items.failed) of \(items.total) items failed; first: \(items.firstError)"
                return items.failed >= items.total
                    ? .failed(code: "JOB_ITEMS_FAILED", message: message, result: items.result) : .partial(items.result, message: message)
            }
            let failure: AppError
            if error is DeadlineExceeded {
                failure = AppError(.jobTimeout, "Job exceeded its timeout of \(kind.timeout.components.seconds)s")
            } else if let appError = error as? AppError {
                failure = appError
            } else if let storeError = StoreError(error) ?? (error as? StoreError) {
                failure = storeError.appError
            } else {
                jobLogger.error("job failed", metadata: ["error_type": .string(String(describing: type(of: error)))])
                failure = AppError(.jobFailed, "Job failed (\(type(of: error)))")
            }
            if kind.retriesFailures && failure.code.retryable && job.attempts < job.maxAttempts {
                return .retry(
                    after: kind.retryDelayMillis(afterAttempt: job.attempts), code: failure.code.name, message: failure.message)
            }
            return .failed(code: failure.code.name, message: failure.message)
        }
    }

    struct DeadlineExceeded: Error {}

    static func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw DeadlineExceeded()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    static func label(_ outcome: JobQueue.Outcome) -> String {
        switch outcome {
        case .succeeded: return "succeeded"
        case .partial: return "partial"
        case .failed: return "failed"
        case .cancelled: return "cancelled"
        case .retry: return "retried"
        }
    }
}
