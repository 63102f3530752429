import Foundation

/// The rules of runs: one active run per source (kept by the store), triggers of a source or a whole group,
/// cancellation that reaches a running collector.
struct RunService: Sendable {
    let runs: RunStore
    let sources: SourceStore
    let store: Store
    let jobs: JobQueue
    let runner: JobRunner
    let clock: WallClock

    enum Trigger: Sendable {
        case queued(Run)
        /// The source already had an active run: that run.
        case suppressed(Run)
    }

    func list(_ filter: RunStore.Filter, page: PageRequest) async throws -> (items: [Run], total: Int) {
        try await runs.list(filter, offset: page.offset, limit: page.size)
    }

    func get(_ id: String) async throws -> Run {
        guard let run = try await runs.get(id) else { throw AppError(.configRunNotFound) }
        return run
    }

    func trigger(sourceId: String, mode: String, triggerType: String) async throws -> Trigger {
        guard Run.modes.contains(mode) else {
            throw AppError.invalid(field: "mode", issue: "invalid", "mode must be one of \(Run.modes.joined(separator: ", "))")
        }
        // A unique violation means another run is active; if that run ended before we could read it, try again.
        for _ in 0..<3 {
            let runId = LedgerID.make("run")
            do {
                let outcome = try await runs.insertQueued(
                    runId: runId, sourceId: sourceId, mode: mode, triggerType: triggerType, now: clock.millis(),
                    job: NewJob(kind: AssetLedgerJobs.run, payload: ["runId": .string(runId)]), maxAttempts: 1,
                    backend: store.backend)
                switch outcome {
                case .sourceGone: throw AppError(.configSourceNotFound)
                case .inserted(let run):
                    runner.wake()
                    return .queued(run)
                }
            } catch let error as StoreError where error.isUniqueViolation {
                if let active = try await runs.active(sourceId: sourceId) { return .suppressed(active) }
            }
        }
        throw AppError(.configResourceConflict, "The source's active run changed repeatedly; try again")
    }

    /// Result of triggering every source of a group.
    struct GroupTrigger: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            var sourceId: String
            var sourceName: String
            /// `queued`, `suppressed` (an active run exists) or `skipped`.
            var outcome: String
            var runId: String?
            var reason: String?
        }
        var groupId: String
        var queued: Int
        var suppressed: Int
        var skipped: Int
        var items: [Item]
    }

    func triggerGroup(_ groupId: String, triggerType: String, sourcesOfGroup: [Source]) async throws -> GroupTrigger {
        var items: [GroupTrigger.Item] = []
        for source in sourcesOfGroup {
            var item = GroupTrigger.Item(sourceId: source.sourceId, sourceName: source.name, outcome: "skipped")
            if !source.enabled {
                item.reason = "disabled"
            } else if SourceConfig.needsCredential(source.sourceType) && source.credentialSealed == nil {
                item.reason = "no credential"
            } else {
                do {
                    switch try await trigger(sourceId: source.sourceId, mode: "collect", triggerType: triggerType) {
                    case .queued(let run): (item.outcome, item.runId) = ("queued", run.runId)
                    case .suppressed(let run): (item.outcome, item.runId) = ("suppressed", run.runId)
                    }
                } catch let error as AppError where error.code == .configSourceNotFound {
                    item.reason = "deleted"
                }
            }
            items.append(item)
        }
        func count(_ outcome: String) -> Int { items.filter { $0.outcome == outcome }.count }
        return GroupTrigger(
            groupId: groupId, queued: count("queued"), suppressed: count("suppressed"), skipped: count("skipped"), items: items)
    }

    /// Cancels a Queued or Running run (else 409): a queued run ends at once; a running collector's process group is
    /// killed by its worker (here at once, on another replica at its next heartbeat) and the run ends `Cancelled`.
    func cancel(_ id: String) async throws -> Run {
        let run = try await get(id)
        guard run.status.isActive else {
            throw AppError(
                .configResourceConflict, "Only Queued or Running runs can be cancelled (this one is \(run.status.rawValue))",
                redactedContext: ["runId": .string(id)])
        }
        guard let updated = try await runs.requestCancel(id, now: clock.millis()) else { throw AppError(.configRunNotFound) }
        if let jobId = updated.jobId {
            _ = try await jobs.requestCancel(jobId)
            runner.cancelLocally(jobId)
        }
        return updated
    }
}
