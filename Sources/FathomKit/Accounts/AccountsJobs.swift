/// The account sync and classification jobs and the daily sync schedule.
enum AccountsJobs {
    static let sync = "accounts.sync"
    static let classify = "accounts.classify"

    static func kinds(sync: AccountSync, classifier: ClassificationService) -> [JobKind] {
        let syncKind = JobKind(Self.sync, timeout: .seconds(3600), maxAttempts: 2, backoff: .seconds(60)) { context in
            let ids: [Int64]? = {
                guard case .array(let values)? = context.job.payload["instance_ids"] else { return nil }
                return values.compactMap(\.intValue)
            }()
            let result = try await sync.syncAll(ids: ids, runId: context.job.id) { percent, message in
                await context.progress(percent, message)
            }
            return JSONValue.encode(result)
        }
        let classifyKind = JobKind(classify, timeout: .seconds(3600), maxAttempts: 2, backoff: .seconds(30)) { context in
            JSONValue.encode(try await classifier.autoClassify(instanceId: context.job.payload["instance_id"]?.intValue))
        }
        return [syncKind, classifyKind]
    }

    static func schedules(timezone: String) -> [ScheduleDefinition] {
        [ScheduleDefinition(name: "accounts-sync", kind: sync, cadence: .daily(hour: 2, minute: 30), timezone: timezone)]
    }
}
