/// The capacity collection job and its daily schedule.
enum CapacityJobs {
    static let collect = "capacity.collect"

    static func register(_ registry: JobRegistry, collector: CapacityCollector) {
        registry.register(JobKind(collect, timeout: .seconds(3600), maxAttempts: 2, backoff: .seconds(60)) { context in
            let ids: [Int64]? = {
                guard case .array(let values)? = context.job.payload["instance_ids"] else { return nil }
                return values.compactMap(\.intValue)
            }()
            let result = try await collector.collectAll(ids: ids) { percent, message in await context.progress(percent, message) }
            return JSONValue.encode(result)
        })
    }

    static func schedules(timezone: String) -> [ScheduleDefinition] {
        [ScheduleDefinition(name: "capacity-collect", kind: collect, cadence: .daily(hour: 3, minute: 0), timezone: timezone)]
    }
}
