import Foundation

/// The instance a capacity or ledger row belongs to, as the reference names it: `id` is the integer instance id;
/// `uid` is the DBaaS id (`inst-…`).
struct InstanceRefView: Encodable {
    var id: Int64
    var uid: String
    var name: String
    var db_type: String
}

/// A stable identifier of an aggregate row, the same on every read: (owner, period type, period start) packed into
/// one integer (days since 1970 fit in 17 bits), exact in JavaScript for owner ids below 2^31.
enum CapacityRowID {
    static func make(owner: Int64, type: PeriodType, periodStart: String) -> Int64 {
        let typeIndex = Int64(PeriodType.allCases.firstIndex(of: type) ?? 0)
        let days = Int64((PeriodMath.date(periodStart).timeIntervalSince1970 / 86_400).rounded())
        return (owner * 4 + typeIndex) * 131_072 + days
    }
}

/// One period of one database (`GET /api/v1/capacity/databases`): the reference's fields, then Fathom's (`*_bytes`,
/// `trend_direction`). PostgreSQL has no data/log split, so those fields are null.
struct DatabaseCapacityView: Encodable {
    var id: Int64
    var instance_id: Int64
    var database_id: Int64
    var database_name: String
    var period_type: PeriodType
    var period_start: String
    var period_end: String
    var avg_size_mb: Double
    var max_size_mb: Double
    var min_size_mb: Double
    var data_count: Int
    @ExplicitNull var avg_data_size_mb: Double? = nil
    @ExplicitNull var max_data_size_mb: Double? = nil
    @ExplicitNull var min_data_size_mb: Double? = nil
    @ExplicitNull var avg_log_size_mb: Double? = nil
    @ExplicitNull var max_log_size_mb: Double? = nil
    @ExplicitNull var min_log_size_mb: Double? = nil
    @ExplicitNull var size_change_mb: Double?
    @ExplicitNull var size_change_percent: Double?
    @ExplicitNull var data_size_change_mb: Double? = nil
    @ExplicitNull var data_size_change_percent: Double? = nil
    @ExplicitNull var log_size_change_mb: Double? = nil
    @ExplicitNull var log_size_change_percent: Double? = nil
    @ExplicitNull var growth_rate: Double?
    var trend_direction: String
    var calculated_at: String
    var created_at: String
    var instance: InstanceRefView
    var instance_name: String
    var db_type: String
    var avg_size_bytes: Int64
    var max_size_bytes: Int64
    var min_size_bytes: Int64
    @ExplicitNull var size_change_bytes: Int64?

    init(_ row: CapacityRow, type: PeriodType) {
        id = CapacityRowID.make(owner: row.subjectId, type: type, periodStart: row.periodStart)
        instance_id = row.instanceId
        database_id = row.subjectId
        database_name = row.subjectName
        period_type = type
        period_start = row.periodStart
        period_end = row.periodEnd
        avg_size_mb = SizeFormat.megabytes(row.avg)
        max_size_mb = SizeFormat.megabytes(row.max)
        min_size_mb = SizeFormat.megabytes(row.min)
        data_count = row.count
        let change = row.previous.map { row.avg - $0 }
        let changePercent = Trend.percent(from: row.previous, to: row.avg)
        let growth = Trend.growth(row, type: type)
        size_change_bytes = change
        size_change_mb = change.map(SizeFormat.megabytes)
        size_change_percent = changePercent
        growth_rate = growth
        trend_direction = Trend.direction(changePercent ?? growth)
        calculated_at = Timestamp.iso8601(millis: row.calculatedAt)
        created_at = calculated_at
        instance = InstanceRefView(id: row.instanceId, uid: row.instanceKey, name: row.instanceName, db_type: row.engine)
        instance_name = row.instanceName
        db_type = row.engine
        avg_size_bytes = row.avg
        max_size_bytes = row.max
        min_size_bytes = row.min
    }
}

/// One period of one instance (`GET /api/v1/capacity/instances`): its total size (the average of the period's
/// daily totals), database counts and their changes.
struct InstanceCapacityView: Encodable {
    var id: Int64
    var instance_id: Int64
    var period_type: PeriodType
    var period_start: String
    var period_end: String
    var total_size_mb: Double
    var avg_size_mb: Double
    var max_size_mb: Double
    var min_size_mb: Double
    var data_count: Int
    var database_count: Int
    var avg_database_count: Int
    var max_database_count: Int
    var min_database_count: Int
    @ExplicitNull var total_size_change_mb: Double?
    @ExplicitNull var total_size_change_percent: Double?
    @ExplicitNull var database_count_change: Int?
    @ExplicitNull var database_count_change_percent: Double?
    @ExplicitNull var growth_rate: Double?
    var trend_direction: String
    var calculated_at: String
    var created_at: String
    var instance: InstanceRefView
    var instance_name: String
    var db_type: String
    var avg_size_bytes: Int64
    var max_size_bytes: Int64
    var min_size_bytes: Int64
    @ExplicitNull var total_size_change_bytes: Int64?

    init(_ row: CapacityRow, type: PeriodType) {
        id = CapacityRowID.make(owner: row.subjectId, type: type, periodStart: row.periodStart)
        instance_id = row.instanceId
        period_type = type
        period_start = row.periodStart
        period_end = row.periodEnd
        total_size_mb = SizeFormat.megabytes(row.avg)
        avg_size_mb = total_size_mb
        max_size_mb = SizeFormat.megabytes(row.max)
        min_size_mb = SizeFormat.megabytes(row.min)
        data_count = row.count
        database_count = row.avgDatabaseCount
        avg_database_count = row.avgDatabaseCount
        max_database_count = row.maxDatabaseCount
        min_database_count = row.minDatabaseCount
        let change = row.previous.map { row.avg - $0 }
        let changePercent = Trend.percent(from: row.previous, to: row.avg)
        let growth = Trend.growth(row, type: type)
        total_size_change_bytes = change
        total_size_change_mb = change.map(SizeFormat.megabytes)
        total_size_change_percent = changePercent
        database_count_change = row.previousDatabaseCount.map { row.avgDatabaseCount - $0 }
        database_count_change_percent = Trend.percent(
            from: row.previousDatabaseCount.map(Int64.init), to: Int64(row.avgDatabaseCount))
        growth_rate = growth
        trend_direction = Trend.direction(changePercent ?? growth)
        calculated_at = Timestamp.iso8601(millis: row.calculatedAt)
        created_at = calculated_at
        instance = InstanceRefView(id: row.instanceId, uid: row.instanceKey, name: row.instanceName, db_type: row.engine)
        instance_name = row.instanceName
        db_type = row.engine
        avg_size_bytes = row.avg
        max_size_bytes = row.max
        min_size_bytes = row.min
    }
}

/// A capacity list page: `items` with the reference's paging keys.
struct CapacityPage<Item: Encodable>: Encodable {
    var items: [Item]
    var total: Int
    var page: Int
    var pages: Int
    var limit: Int
    var has_prev: Bool
    var has_next: Bool

    init(items: [Item], total: Int, page: Int, limit: Int) {
        self.items = items
        self.total = total
        self.page = page
        self.limit = limit
        pages = PageCount.pages(total: total, limit: limit)
        has_prev = page > 1
        has_next = page < pages
    }
}

/// Pages of `limit` needed for `total` rows (at least 1, as the reference reports an empty list).
enum PageCount {
    static func pages(total: Int, limit: Int) -> Int { max(1, (total + max(1, limit) - 1) / max(1, limit)) }
}
