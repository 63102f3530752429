/// The asset ledger's job kinds and the schedule that fires schedule groups.
enum AssetLedgerJobs {
    static let run = "asset.run"
    static let fireGroups = "asset.schedule_groups.fire"
    static let detectDuplicates = "asset.duplicates.detect"

    static func kinds(
        executor: RunExecutor, firing: ScheduleGroupFiring, runs: RunStore, duplicates: DuplicateService, clock: WallClock
    ) -> [JobKind] {
        // A run is never repeated blindly (a collect may be expensive for its target): one attempt; if its worker dies,
        // the run is failed with a clear error once the job's lease has expired.
        let runKind = JobKind(
            run, timeout: .seconds(25 * 3600), maxAttempts: 1, retryAfterWorkerLoss: false,
            onGiveUp: { job in
                guard let runId = job.payload["runId"]?.stringValue else { return }
                _ = try? await runs.finish(runId, .failed(
                    .runWorkerLost, "The worker running this collection stopped (crash or restart) before it finished"),
                    now: clock.millis())
            }
        ) { context in
            guard let runId = context.job.payload["runId"]?.stringValue else { return ["skipped": "no runId"] }
            return try await executor.execute(runId: runId)
        }
        let fireKind = JobKind(fireGroups, timeout: .seconds(300), maxAttempts: 1) { _ in
            let fired = try await firing.fireDue()
            return ["groups": .array(fired.map { .string($0.groupId) })]
        }
        // Detection reads the whole ledger and rewrites only candidates: safe to repeat after a lost worker.
        let detectKind = JobKind(detectDuplicates, timeout: .seconds(600), maxAttempts: 3) { _ in
            let pairs = try await duplicates.detect()
            return ["pairs": .int(Int64(pairs))]
        }
        return [runKind, fireKind, detectKind]
    }

    /// Every minute: groups fire within a minute of their local time. Each slot of this schedule fires once across
    /// replicas (the scheduler's guarantee) and each group's day once (`ScheduleGroupFiring`'s).
    static let schedules = [
        ScheduleDefinition(name: "asset-schedule-groups", kind: fireGroups, cadence: .interval(minutes: 1), timezone: "UTC")
    ]
}
