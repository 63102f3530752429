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

    struct RowView: Encodable {
        var database_id: Int64?
        var database_name: String?
        var instance_id: Int64
        var instance: String
        var instance_name: String
        var db_type: String
        var period_type: PeriodType
        var period_start: String
        var period_end: String
        var avg_size_bytes: Int64
        var avg_size_mb: Double
        var max_size_bytes: Int64
        var max_size_mb: Double
        var min_size_bytes: Int64
        var min_size_mb: Double
        var data_count: Int
        var size_change_bytes: Int64?
        var size_change_mb: Double?
        var size_change_percent: Double?
        var growth_rate: Double?
        var trend_direction: String
        var database_count: Int?
        var max_database_count: Int?

        init(_ row: CapacityRow, type: PeriodType, subject: CapacityQuery.Subject) {
            if subject == .database {
                database_id = row.subjectId
                database_name = row.subjectName
            } else {
                database_count = row.avgDatabaseCount
                max_database_count = row.maxDatabaseCount
            }
            instance_id = row.instanceId
            instance = row.instanceKey
            instance_name = row.instanceName
            db_type = row.engine
            period_type = type
            period_start = row.periodStart
            period_end = row.periodEnd
            avg_size_bytes = row.avg
            avg_size_mb = SizeFormat.megabytes(row.avg)
            max_size_bytes = row.max
            max_size_mb = SizeFormat.megabytes(row.max)
            min_size_bytes = row.min
            min_size_mb = SizeFormat.megabytes(row.min)
            data_count = row.count
            size_change_bytes = row.previous.map { row.avg - $0 }
            size_change_mb = size_change_bytes.map(SizeFormat.megabytes)
            size_change_percent = Trend.percent(from: row.previous, to: row.avg)
            // Within a day there is one sample: its growth is the change from the day before.
            growth_rate = type == .daily ? size_change_percent : Trend.percent(from: row.first, to: row.last)
            trend_direction = Trend.direction(size_change_percent ?? growth_rate)
        }
    }

    struct SummaryView: Encodable {
        var period_type: PeriodType
        var total_count: Int
        var total_size_bytes: Int64
        var total_size_mb: Double
        var average_size_mb: Double
        var max_size_mb: Double
        var min_size_mb: Double
        var first_total_size_bytes: Int64
        var growth_rate: Double?
        var trend_direction: String
        var data_points: Int64

        init(_ summary: CapacitySummary) {
            let sizes = Array(summary.latest.values)
            let total = sizes.reduce(0, +)
            let first = summary.earliest.values.reduce(0, +)
            period_type = summary.periodType
            total_count = sizes.count
            total_size_bytes = total
            total_size_mb = SizeFormat.megabytes(total)
            average_size_mb = sizes.isEmpty ? 0 : SizeFormat.megabytes(total / Int64(sizes.count))
            max_size_mb = SizeFormat.megabytes(sizes.max() ?? 0)
            min_size_mb = SizeFormat.megabytes(sizes.min() ?? 0)
            first_total_size_bytes = first
            growth_rate = Trend.percent(from: first, to: total)
            trend_direction = Trend.direction(growth_rate)
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
                query: Self.databaseFilters + Self.paging, databases),
            Route(
                .get, "/api/v1/capacity/databases/summary", access: .scoped(.view), tag: "capacity",
                summary: "Totals over the filtered databases, each counted once (its latest and earliest period)",
                query: Self.databaseFilters, databasesSummary),
            Route(
                .get, "/api/v1/capacity/instances", access: .scoped(.view), tag: "capacity",
                summary: "Capacity per instance and period (avg/max/min, change vs the previous period, growth, trend)",
                query: Self.instanceFilters + Self.paging, instances),
            Route(
                .get, "/api/v1/capacity/instances/summary", access: .scoped(.view), tag: "capacity",
                summary: "Totals over the filtered instances, each counted once (its latest and earliest period)",
                query: Self.instanceFilters, instancesSummary),
            Route(
                .post, "/api/v1/capacity/aggregations/current", access: .permission(.admin), tag: "capacity",
                summary: "Aggregate the current period (today's) now", requestBody: Self.aggregateBody, bodyRequired: false,
                aggregateCurrent),
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
        var page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 20, maxSize: 200)
        if try query.bool("get_all", default: false) { page = PageRequest(page: 1, size: 10_000) }
        let frozen = page
        let result = try await store.read { db in try await capacity.page(offset: frozen.offset, limit: frozen.size, on: db) }
        let items = result.rows.map { RowView($0, type: capacity.periodType, subject: subject) }
        return try context.envelope(ItemsPage(items: items, total: result.total, page: page.page, limit: page.size))
    }

    private func summary(_ subject: CapacityQuery.Subject, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let capacity = try CapacityQuery(subject, query: QueryParameters(uri: request.uri, scope: context.tenantScope), today: today())
        let summary = try await store.read { db in try await capacity.summary(on: db) }
        return try context.envelope(SummaryView(summary))
    }

    func aggregateCurrent(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeOptionalJSON(AggregateBody.self) ?? AggregateBody()
        var types = PeriodType.allCases
        if let raw = body.period_type {
            guard let type = PeriodType(rawValue: raw) else {
                throw AppError.invalid(field: "period_type", issue: "invalid", "period_type must be daily, weekly, monthly or quarterly")
            }
            types = [type]
        }
        guard let scope = CapacityAggregator.Scope(rawValue: body.scope ?? "all") else {
            throw AppError.invalid(field: "scope", issue: "invalid", "scope must be instance, database or all")
        }
        let day = today()
        var periods: [[String: JSONValue]] = []
        for type in types {
            let counts = try await aggregator.aggregate(type, from: day, scope: scope)
            periods.append([
                "period_type": .string(type.rawValue), "period_start": .string(PeriodMath.start(of: day, type)),
                "database_rows": .int(Int64(counts.databases)), "instance_rows": .int(Int64(counts.instances)),
            ])
        }
        return try context.envelope(["scope": .string(scope.rawValue), "date": .string(day), "periods": .array(periods.map { .object($0) })] as JSONValue)
    }

    func today() -> String { calendar.day(clock.now()) }
}
