/// The capacity collection job and its daily schedule.
enum CapacityJobs {
    static let collect = "capacity.collect"
    static let aggregate = "capacity.aggregate"

    static func kinds(collector: CapacityCollector, aggregator: CapacityAggregator) -> [JobKind] {
        // Completed periods, and every period a late sample fell into since the last run.
        let aggregateKind = JobKind(aggregate, timeout: .seconds(3600), maxAttempts: 2, backoff: .seconds(60)) { _ in
            let from = try await aggregator.earliestChangedDay()
            guard let from else { return ["skipped": "no new samples"] }
            let counts = try await aggregator.aggregateAll(from: from == "" ? nil : from)
            return ["from": .string(from.isEmpty ? "all" : from), "database_rows": .int(Int64(counts.databases)),
                    "instance_rows": .int(Int64(counts.instances))]
        }
        let collectKind = JobKind(collect, timeout: .seconds(3600), maxAttempts: 2, backoff: .seconds(60)) { context in
            let ids: [Int64]? = {
                guard case .array(let values)? = context.job.payload["instance_ids"] else { return nil }
                return values.compactMap(\.intValue)
            }()
            let result = try await collector.collectAll(ids: ids) { percent, message in await context.progress(percent, message) }
            return JSONValue.encode(result)
        }
        return [aggregateKind, collectKind]
    }

    static func schedules(timezone: String) -> [ScheduleDefinition] {
        [
            ScheduleDefinition(name: "capacity-collect", kind: collect, cadence: .daily(hour: 3, minute: 0), timezone: timezone),
            ScheduleDefinition(name: "capacity-aggregate", kind: aggregate, cadence: .daily(hour: 4, minute: 0), timezone: timezone),
        ]
    }
}
