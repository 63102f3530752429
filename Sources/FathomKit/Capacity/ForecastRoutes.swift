import Foundation
import Hummingbird

/// `GET /api/v1/capacity/forecast`: per instance or database, the growth trend over the last `days` days and the
/// day it reaches its storage limit (`storage_gb` of the instance) at that trend. Soonest to fill first.
struct ForecastRoutes: RouteGroup {
    let forecasts: ForecastStore
    let calendar: BusinessCalendar
    let clock: WallClock

    struct ItemView: Encodable {
        var subject: String
        var database_id: Int64?
        var database_name: String?
        var instance_id: Int64
        var instance: String
        var instance_name: String
        var db_type: String
        var window_days: Int
        var data_points: Int
        var first_date: String
        var last_date: String
        var current_size_bytes: Int64
        var current_size_mb: Double
        var growth_bytes_per_day: Double?
        var growth_mb_per_day: Double?
        var window_change_bytes: Int64
        var growth_rate: Double?
        var trend_direction: String
        var storage_limit_bytes: Int64?
        var storage_limit_gb: Int?
        var usage_percent: Double?
        var days_to_limit: Double?
        var reaches_limit_on: String?

        init(_ forecast: CapacityForecast, subject: String, window: Int) {
            let first = forecast.samples[0], latest = forecast.latest
            self.subject = subject
            if subject == "database" {
                database_id = latest.subjectId
                database_name = latest.subjectName
            }
            instance_id = latest.instanceId
            instance = latest.instanceKey
            instance_name = latest.instanceName
            db_type = latest.engine
            window_days = window
            data_points = forecast.samples.count
            first_date = first.day
            last_date = latest.day
            current_size_bytes = latest.bytes
            current_size_mb = SizeFormat.megabytes(latest.bytes)
            growth_bytes_per_day = forecast.slope.map { ($0 * 100).rounded() / 100 }
            growth_mb_per_day = forecast.slope.map { ($0 / 1_048_576 * 100).rounded() / 100 }
            window_change_bytes = latest.bytes - first.bytes
            growth_rate = Trend.percent(from: first.bytes, to: latest.bytes)
            trend_direction = Trend.direction(growth_rate)
            storage_limit_bytes = forecast.limitBytes
            storage_limit_gb = latest.storageGB > 0 ? latest.storageGB : nil
            usage_percent = forecast.limitBytes.map { (Double(latest.bytes) / Double($0) * 10_000).rounded() / 100 }
            days_to_limit = forecast.daysToLimit.map { ($0 * 10).rounded() / 10 }
            reaches_limit_on = forecast.reachesLimitOn
        }
    }

    static let query: [(String, JSONValue)] = [
        ("subject", Schemas.enumeration(["instances", "databases"])), ("days", Schemas.fallbackInteger),
        ("instance_id", Schemas.integer), ("db_type", Schemas.string), ("database_name", Schemas.string),
        ("page", Schemas.integer), ("limit", Schemas.integer),
    ]

    var endpoints: [Route] {
        [
            Route(
                .get, "/api/v1/capacity/forecast", access: .permission(.view), tag: "capacity",
                summary: "Growth per day over the last `days` days (default 30, 2–365; least squares over daily samples) and the day each instance or database reaches its instance's storage limit; soonest first",
                query: Self.query, forecast),
        ]
    }

    func forecast(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(uri: request.uri)
        let subject = query.string("subject")?.lowercased() ?? "instances"
        guard ["instances", "databases"].contains(subject) else {
            throw AppError.invalid(field: "subject", issue: "invalid", "subject must be instances or databases")
        }
        // Like page/limit in the capacity contract: an invalid window falls back to the default, a large one is clamped.
        let days = query.string("days").flatMap(Int.init).map { $0 < 2 ? 30 : min($0, 365) } ?? 30
        let filter = ForecastStore.Filter(
            instanceId: try query.int("instance_id"),
            dbType: query.string("db_type").map { $0.lowercased() }.flatMap { $0 == "all" ? nil : $0 },
            databaseName: query.string("database_name"))
        let end = calendar.day(clock.now())
        let start = PeriodMath.text(PeriodMath.utc.date(byAdding: .day, value: -(days - 1), to: PeriodMath.date(end))!)
        let samples = subject == "instances"
            ? try await forecasts.instanceSamples(from: start, to: end, filter)
            : try await forecasts.databaseSamples(from: start, to: end, filter)
        let items = CapacityForecast.group(samples).map { ItemView($0, subject: String(subject.dropLast()), window: days) }
            .sorted(by: Self.soonestFirst)
        let page = PageRequest.parse(request.uri, sizeKey: "limit", defaultSize: 20, maxSize: 200)
        let slice = Array(items.dropFirst(page.offset).prefix(page.size))
        return try context.envelope(ItemsPage(items: slice, total: items.count, page: page.page, limit: page.size))
    }

    /// Those with a date first (soonest first), then the fastest growing; ties by name for a stable order.
    static func soonestFirst(_ a: ItemView, _ b: ItemView) -> Bool {
        switch (a.days_to_limit, b.days_to_limit) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default:
            if (a.growth_bytes_per_day ?? 0) != (b.growth_bytes_per_day ?? 0) { return (a.growth_bytes_per_day ?? 0) > (b.growth_bytes_per_day ?? 0) }
            return (a.instance_name, a.database_name ?? "", a.database_id ?? 0) < (b.instance_name, b.database_name ?? "", b.database_id ?? 0)
        }
    }
}
