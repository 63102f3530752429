import Foundation
import Hummingbird
import SQLKit

/// `/api/v1/capacity/*` (capacity contract): aggregated capacity of databases and instances, summaries, and the
/// action that aggregates the current period.
struct CapacityRoutes: RouteGroup {
    let store: Store
    let aggregator: CapacityAggregator
    let calendar: BusinessCalendar
    let clock: WallClock

    /// `data.summary` of both summaries: the reference's keys, then Fathom's. Each subject counts once (its latest
    /// size), and `growth_rate` is real: from the subjects' earliest to their latest size in the range.
    struct SummaryView: Encodable {
        var total_databases: Int?
        var total_instances: Int
        var total_size_mb: Double
        var avg_size_mb: Double
        var max_size_mb: Double
        var min_size_mb: Double
        @ExplicitNull var growth_rate: Double?
        var trend_direction: String
        var period_type: PeriodType
        /// Where the figures come from: `daily_samples` or `aggregations`.
        var source: String
        var total_count: Int
        var total_size_bytes: Int64
        var first_total_size_bytes: Int64
        var data_points: Int64

        init(_ summary: CapacitySummary, subject: CapacityQuery.Subject) {
            let total = summary.latestTotal
            let first = summary.earliestTotal
            total_databases = subject == .database ? summary.count : nil
            total_instances = summary.instances
            total_size_mb = SizeFormat.megabytes(total)
            avg_size_mb = summary.count == 0 ? 0 : SizeFormat.megabytes(total / Int64(summary.count))
            max_size_mb = SizeFormat.megabytes(summary.latestMax)
            min_size_mb = SizeFormat.megabytes(summary.latestMin)
            let growth = Trend.percent(from: first, to: total)
            growth_rate = growth
            trend_direction = Trend.direction(growth)
            period_type = summary.periodType
            source = summary.periodType == .daily ? "daily_samples" : "aggregations"
            total_count = summary.count
            total_size_bytes = total
            first_total_size_bytes = first
            data_points = summary.dataPoints
        }
    }

    struct AggregateBody: StrictBody {
        var period_type: String?
        var scope: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case period_type, scope }
    }

    static let common: [(String, JSONValue)] = [
        ("instance_id", Schemas.integer), ("db_type", Schemas.string),
        ("period_type", Schemas.enumeration(PeriodType.allCases.map(\.rawValue))), ("start_date", Schemas.string),
        ("end_date", Schemas.string),
    ]
    static let databaseFilters = common + [("database_name", Schemas.string), ("database_id", Schemas.integer)]
    static let instanceFilters = common + [("time_range", Schemas.integer)]
    static let paging: [(String, JSONValue)] = [("get_all", Schemas.boolean), ("page", Schemas.integer), ("limit", Schemas.integer)]
    static let aggregateBody = Schemas.object([
        "period_type": Schemas.enumeration(PeriodType.allCases.map(\.rawValue)),
        "scope": Schemas.enumeration(CapacityAggregator.Scope.allCases.map(\.rawValue)),
    ])

    var endpoints: [Route] {
        [
            Route(
                .get, "/api/v1/capacity/databases", access: .scoped(.view), tag: "capacity",
                summary: "Capacity per database and period (avg/max/min, change vs the previous period, growth, trend)",
                query: Self.databaseFilters + Self.paging, response: CapacityResponses.page(CapacityResponses.databaseRow),
                cached: .perSecond, databases),
            Route(
                .get, "/api/v1/capacity/databases/summary", access: .scoped(.view), tag: "capacity",
                summary: "Totals over the filtered databases, each counted once (its latest and earliest period)",
                query: Self.databaseFilters, response: CapacityResponses.summary(databases: true), cached: .perSecond, databasesSummary),
            Route(
                .get, "/api/v1/capacity/instances", access: .scoped(.view), tag: "capacity",
                summary: "Capacity per instance and period (avg/max/min, change vs the previous period, growth, trend)",
                query: Self.instanceFilters + Self.paging, response: CapacityResponses.page(CapacityResponses.instanceRow),
                cached: .perSecond, instances),
            Route(
                .get, "/api/v1/capacity/instances/summary", access: .scoped(.view), tag: "capacity",
                summary: "Totals over the filtered instances, each counted once (its latest and earliest period)",
                query: Self.instanceFilters, response: CapacityResponses.summary(databases: false), cached: .perSecond, instancesSummary),
            Route(
                .post, "/api/v1/capacity/aggregations/current", access: .permission(.admin), tag: "capacity",
                summary: "Aggregate the current period (today's) now", requestBody: Self.aggregateBody, bodyRequired: false,
                response: CapacityResponses.aggregation, aggregateCurrent),
        ]
    }

    func databases(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await page(.database, request, context)
    }

    func instances(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await page(.instance, request, context)
    }

    func databasesSummary(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await summary(.database, request, context)
    }

    func instancesSummary(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await summary(.instance, request, context)
    }

    private func page(_ subject: CapacityQuery.Subject, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri, scope: context.tenantScope)
        let capacity = try CapacityQuery(subject, query: query, today: today())
        var page = try PageRequest.pageLimit(request.uri, defaultSize: 20, maxSize: 200)
        if try query.bool("get_all", default: false) { page = PageRequest(page: 1, size: 10_000) }
        let frozen = page
        let result = try await store.read { db in try await capacity.page(offset: frozen.offset, limit: frozen.size, on: db) }
        let type = capacity.periodType
        switch subject {
        case .database:
            return try context.envelope(
                CapacityPage(items: result.rows.map { DatabaseCapacityView($0, type: type) }, total: result.total, page: page.page, limit: page.size),
                message: "Database capacity loaded")
        case .instance:
            return try context.envelope(
                CapacityPage(items: result.rows.map { InstanceCapacityView($0, type: type) }, total: result.total, page: page.page, limit: page.size),
                message: "Instance capacity loaded")
        }
    }

    private func summary(_ subject: CapacityQuery.Subject, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let capacity = try CapacityQuery(subject, query: QueryParameters(uri: request.uri, scope: context.tenantScope), today: today())
        let summary = try await store.read { db in try await capacity.summary(on: db) }
        return try context.envelope(["summary": SummaryView(summary, subject: subject)], message: "Capacity summary loaded")
    }

    /// Aggregates the periods containing today. Daily figures are the samples themselves, so asking for `daily`
    /// is answered `skipped`; no `period_type` aggregates every other type (`effective_period_type: "all"`).
    func aggregateCurrent(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeOptionalJSON(AggregateBody.self) ?? AggregateBody()
        var requested: PeriodType?
        if let raw = body.period_type {
            guard let type = PeriodType(rawValue: raw.lowercased()) else {
                throw AppError.invalid(field: "period_type", issue: "invalid", "period_type must be daily, weekly, monthly or quarterly")
            }
            requested = type
        }
        guard let scope = CapacityAggregator.Scope(rawValue: body.scope ?? "all") else {
            throw AppError.invalid(field: "scope", issue: "invalid", "scope must be instance, database or all")
        }
        let day = today()
        let types = requested.map { [$0] } ?? PeriodType.allCases.filter { $0 != .daily }
        var periods: [[String: JSONValue]] = []
        var databaseRows = 0
        var instanceRows = 0
        for type in types where type != .daily {
            let counts = try await aggregator.aggregate(type, from: day, scope: scope)
            databaseRows += counts.databases
            instanceRows += counts.instances
            periods.append([
                "period_type": .string(type.rawValue), "period_start": .string(PeriodMath.start(of: day, type)),
                "database_rows": .int(Int64(counts.databases)), "instance_rows": .int(Int64(counts.instances)),
            ])
        }
        // The widest period aggregated (a quarter when all are) is the one the result names.
        let widest = types.last ?? .daily
        let start = PeriodMath.start(of: day, widest)
        let skipped = requested == .daily
        let result: JSONValue = [
            "status": .string(skipped ? "skipped" : "completed"),
            "message": .string(
                skipped ? "Daily figures are the collected samples; nothing to aggregate"
                    : "Aggregated \(databaseRows) database and \(instanceRows) instance periods containing \(day)"),
            "period_type": .string(requested?.rawValue ?? "all"),
            "period_start": .string(start),
            "period_end": .string(PeriodMath.dayBefore(PeriodMath.nextStart(start, widest))),
            "scope": .string(scope.rawValue),
            "requested_period_type": requested.map { .string($0.rawValue) } ?? .null,
            "effective_period_type": .string(requested?.rawValue ?? "all"),
            "database_summary": scope == .instance ? .null : ["processed": .int(Int64(databaseRows)), "failed": 0],
            "instance_summary": scope == .database ? .null : ["processed": .int(Int64(instanceRows)), "failed": 0],
            "date": .string(day),
            "periods": .array(periods.map { .object($0) }),
        ]
        return try context.envelope(["result": result], message: skipped ? "Nothing to aggregate" : "Aggregation completed")
    }

    func today() -> String { calendar.day(clock.now()) }
}
