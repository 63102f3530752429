import Foundation
import Hummingbird

/// `/api/v1/schedules`: the built-in schedules — list; change enablement, time, zone or interval at run time.
struct ScheduleRoutes: RouteGroup {
    let schedules: ScheduleStore
    let clock: WallClock

    struct ScheduleView: Encodable {
        var name: String
        var kind: String
        var type: String
        var time: String?
        var interval_minutes: Int?
        var timezone: String
        var enabled: Bool
        var last_run_at: String?
        var last_task_run_id: Int64?
        var next_run_at: String?
        var updated_at: String

        init(_ schedule: Schedule, now: Date) {
            name = schedule.name
            kind = schedule.kind
            type = schedule.cadence.typeName
            time = schedule.cadence.timeOfDay
            interval_minutes = schedule.cadence.intervalMinutes
            timezone = schedule.timezone
            enabled = schedule.enabled
            last_run_at = schedule.lastSlotAt.map(Timestamp.iso8601(millis:))
            last_task_run_id = schedule.lastJobId
            if schedule.enabled, let zone = TimeZone(identifier: schedule.timezone) {
                next_run_at = ScheduleSlots.next(
                    schedule.cadence, timezone: zone, anchor: Millis.date(schedule.anchorAt), after: now
                ).map(Timestamp.iso8601)
            }
            updated_at = Timestamp.iso8601(millis: schedule.updatedAt)
        }
    }

    struct UpdateBody: StrictBody {
        var enabled: Bool?
        var time: String?
        var timezone: String?
        var interval_minutes: Int?
        enum CodingKeys: String, CodingKey, CaseIterable { case enabled, time, timezone, interval_minutes }
    }

    var endpoints: [Route] {
        [
            Route(.get, "/api/v1/schedules", access: .permission(.view), tag: "jobs",
                summary: "Schedules and their next run", list),
            Route(.put, "/api/v1/schedules/{schedule_name}", access: .permission(.admin), tag: "jobs",
                summary: "Enable/disable a schedule or change its time (HH:MM, daily), interval or time zone",
                requestBody: Schemas.object(["enabled": Schemas.boolean, "time": Schemas.string, "timezone": Schemas.string, "interval_minutes": Schemas.integer]),
                update),
        ]
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let now = clock.now()
        let items = try await schedules.list().map { ScheduleView($0, now: now) }
        return try context.envelope(ItemsPage(items: items, total: items.count, page: 1, limit: max(1, items.count)))
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let name = try context.parameters.require("schedule_name")
        let body = try await request.decodeJSON(UpdateBody.self)
        let cadence = try Self.cadence(body)
        if let zone = body.timezone, TimeZone(identifier: zone) == nil {
            throw AppError.invalid(field: "timezone", issue: "invalid", "timezone must be an IANA zone such as Europe/Berlin")
        }
        guard let updated = try await schedules.update(
            name, cadence: cadence, timezone: body.timezone, enabled: body.enabled)
        else { throw AppError(.notFound, "Schedule '\(name)' not found") }
        return try context.envelope(ScheduleView(updated, now: clock.now()))
    }


    static func cadence(_ body: UpdateBody) throws -> Cadence? {
        switch (body.time, body.interval_minutes) {
        case (nil, nil):
            return nil
        case (.some, .some):
            throw AppError.invalid(field: "time", issue: "conflict", "give either time (daily) or interval_minutes, not both")
        case (let time?, nil):
            guard let parsed = Cadence.parseTime(time) else {
                throw AppError.invalid(field: "time", issue: "invalid", "time must be HH:MM (00:00-23:59)")
            }
            return .daily(hour: parsed.hour, minute: parsed.minute)
        case (nil, let minutes?):
            guard (1...10_080).contains(minutes) else {
                throw AppError.invalid(field: "interval_minutes", issue: "out_of_range", "interval_minutes must be 1-10080")
            }
            return .interval(minutes: minutes)
        }
    }
}
