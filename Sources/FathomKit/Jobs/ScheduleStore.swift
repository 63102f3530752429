import Foundation
import SQLKit

/// A schedule a feature defines; inserted at start if missing, then owned by operators (enable, time, zone).
public struct ScheduleDefinition: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var payload: JSONValue
    public var cadence: Cadence
    public var timezone: String
    public var enabled: Bool

    public init(name: String, kind: String, payload: JSONValue = [:], cadence: Cadence, timezone: String, enabled: Bool = true) {
        self.name = name
        self.kind = kind
        self.payload = payload
        self.cadence = cadence
        self.timezone = timezone
        self.enabled = enabled
    }
}

/// SQL for schedules and their fired slots.
public struct ScheduleStore: Sendable {
    let store: Store
    let clock: WallClock

    static let columns = """
        name, kind, payload, schedule_type, time_of_day, timezone, interval_minutes, enabled, anchor_at, last_slot_at,
        last_job_id, created_at, updated_at
        """

    static func decode(_ row: any SQLRow) throws -> Schedule {
        let cadence: Cadence
        if try row.string("schedule_type") == "daily", let time = try row.optionalString("time_of_day"),
            let parsed = Cadence.parseTime(time)
        {
            cadence = .daily(hour: parsed.hour, minute: parsed.minute)
        } else {
            cadence = .interval(minutes: max(1, try row.decode(column: "interval_minutes", as: Int?.self) ?? 60))
        }
        return Schedule(
            definition: ScheduleDefinition(
                name: try row.string("name"), kind: try row.string("kind"), payload: JSONText.decode(try row.string("payload")),
                cadence: cadence, timezone: try row.string("timezone"), enabled: try row.bool("enabled")),
            anchorAt: try row.int64("anchor_at"), lastSlotAt: try row.optionalInt64("last_slot_at"),
            lastJobId: try row.optionalInt64("last_job_id"), createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at"))
    }

    /// Inserts the definition unless a schedule of that name exists (operators' changes are kept).
    public func ensure(_ definition: ScheduleDefinition) async throws {
        let now = clock.millis()
        try await store.write { db in
            try await db.raw(
                """
                INSERT INTO schedules (name, kind, payload, schedule_type, time_of_day, timezone, interval_minutes, enabled,
                                       anchor_at, created_at, updated_at)
                VALUES (\(bind: definition.name), \(bind: definition.kind), \(bind: JSONText.encode(definition.payload)),
                        \(bind: definition.cadence.typeName), \(bind: definition.cadence.timeOfDay), \(bind: definition.timezone),
                        \(bind: definition.cadence.intervalMinutes), \(bind: definition.enabled), \(bind: now), \(bind: now),
                        \(bind: now))
                ON CONFLICT (name) DO NOTHING
                """
            ).run()
        }
    }

    public func list() async throws -> [Schedule] {
        try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM schedules ORDER BY name").all().map(Self.decode)
        }
    }

    public func get(_ name: String) async throws -> Schedule? {
        try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM schedules WHERE name = \(bind: name)").first()
                .map(Self.decode)
        }
    }

    /// Applies a change. A new cadence or zone, or re-enabling, moves the anchor to now so that slots already
    /// past are not fired because of the change.
    public func update(_ name: String, cadence: Cadence?, timezone: String?, enabled: Bool?) async throws -> Schedule? {
        let now = clock.millis()
        return try await store.write { db in
            guard let current = try await db.raw(
                "SELECT \(unsafeRaw: Self.columns) FROM schedules WHERE name = \(bind: name)"
            ).first().map(Self.decode) else { return nil }
            let newCadence = cadence ?? current.cadence
            let newZone = timezone ?? current.timezone
            let newEnabled = enabled ?? current.enabled
            let retimed = newCadence != current.cadence || newZone != current.timezone || (newEnabled && !current.enabled)
            try await db.raw(
                """
                UPDATE schedules SET schedule_type = \(bind: newCadence.typeName), time_of_day = \(bind: newCadence.timeOfDay),
                    interval_minutes = \(bind: newCadence.intervalMinutes), timezone = \(bind: newZone),
                    enabled = \(bind: newEnabled), anchor_at = \(bind: retimed ? now : current.anchorAt),
                    updated_at = \(bind: now)
                WHERE name = \(bind: name)
                """
            ).run()
            return try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM schedules WHERE name = \(bind: name)").first()
                .map(Self.decode)
        }
    }

    /// Records the slot as fired and enqueues its job in one transaction. The fired-slot primary key makes a
    /// second replica's attempt fail, so each slot yields exactly one job. Returns the job id, nil if already fired.
    func fire(_ schedule: Schedule, slot: Int64, maxAttempts: Int) async throws -> Int64? {
        let now = clock.millis()
        do {
            return try await store.write { db in
                let last = try await db.raw("SELECT last_slot_at FROM schedules WHERE name = \(bind: schedule.name)")
                    .first()?.optionalInt64("last_slot_at")
                if let last, last >= slot { return nil }
                let jobId = try await JobQueue.insert(
                    NewJob(kind: schedule.kind, payload: schedule.payload), maxAttempts: maxAttempts, now: now, on: db)
                try await db.raw(
                    """
                    INSERT INTO schedule_fires (schedule_name, slot_at, job_id, fired_at)
                    VALUES (\(bind: schedule.name), \(bind: slot), \(bind: jobId), \(bind: now))
                    """
                ).run()
                try await db.raw(
                    """
                    UPDATE schedules SET last_slot_at = \(bind: slot), last_job_id = \(bind: jobId)
                    WHERE name = \(bind: schedule.name)
                    """
                ).run()
                return jobId
            }
        } catch let error as StoreError where error.isUniqueViolation {
            return nil
        }
    }

    /// How many times a slot was fired (tests and diagnostics).
    public func fireCount(_ name: String) async throws -> Int {
        try await store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM schedule_fires WHERE schedule_name = \(bind: name)").first()?.int("n") ?? 0
        }
    }
}
