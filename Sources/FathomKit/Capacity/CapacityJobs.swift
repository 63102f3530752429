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
            if let first = result.failed.first {
                throw ItemFailures(
                    result: JSONValue.encode(result), failed: result.failed.count, total: result.instances,
                    firstError: "instance \(first["id"] ?? "?"): \(first["error"] ?? "failed")")
            }
            return JSONValue.encode(result)
        }
        return [aggregateKind, collectKind]
    }

    /// `sync-all`: the fleet's collection for the global roles; for a tenant one run per permitted project,
    /// collecting only that project's instances (and visible to it as its task run). Returns the first run's id.
    static func enqueueCollect(
        scope: TenantScope, store: Store, enqueue: @Sendable (NewJob) async throws -> Int64
    ) async throws -> Int64 {
        guard let projects = scope.projectIds else {
            return try await enqueue(NewJob(kind: collect, priority: 10))
        }
        guard !projects.isEmpty else { throw AppError(.authForbidden, "No project in which you may collect") }
        var first: Int64?
        for project in projects {
            let ids = try await TenantScopeQuery.instanceIds(.projects([project]), store: store) ?? []
            let id = try await enqueue(
                NewJob(kind: collect, payload: ["instance_ids": .array(ids.map { .int($0) })], priority: 10, projectId: project))
            first = first ?? id
        }
        return first!
    }

    static func schedules(timezone: String) -> [ScheduleDefinition] {
        [
            ScheduleDefinition(name: "capacity-collect", kind: collect, cadence: .daily(hour: 3, minute: 0), timezone: timezone),
            ScheduleDefinition(name: "capacity-aggregate", kind: aggregate, cadence: .daily(hour: 4, minute: 0), timezone: timezone),
        ]
    }
}
