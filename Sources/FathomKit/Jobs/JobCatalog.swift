import Foundation

/// Every job kind and built-in schedule, registered in one place.
public enum JobCatalog {
    public static let purgeExpired = "maintenance.purge_expired"
    public static let pruneJobs = "maintenance.prune_jobs"

    /// Finished jobs are kept this long for `/api/v1/task-runs`.
    static let jobRetentionMillis: Int64 = 30 * 86_400_000

    static func register(_ registry: JobRegistry, services: AppServices) {
        registry.register(JobKind(purgeExpired, timeout: .seconds(120)) { _ in
            try await services.identity.purgeExpired()
            return nil
        })
        registry.register(JobKind(pruneJobs, timeout: .seconds(600)) { _ in
            let deleted = try await services.jobs.prune(olderThan: jobRetentionMillis)
            return ["deleted": .int(Int64(deleted))]
        })
    }

    static func schedules(timezone: String) -> [ScheduleDefinition] {
        [
            ScheduleDefinition(
                name: "purge-expired-sessions", kind: purgeExpired, cadence: .interval(minutes: 5), timezone: timezone),
            ScheduleDefinition(
                name: "prune-finished-jobs", kind: pruneJobs, cadence: .daily(hour: 2, minute: 30), timezone: timezone),
        ]
    }
}
