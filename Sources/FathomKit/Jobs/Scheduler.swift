import Foundation
import Logging
import ServiceLifecycle

/// Fires due schedule slots into the job queue. Safe with several replicas: a slot fires once in all.
public final class Scheduler: Service, Sendable {
    let schedules: ScheduleStore
    let registry: JobRegistry
    let clock: WallClock
    let logger: Logger
    let interval: Duration
    let onFire: @Sendable () -> Void

    public init(
        schedules: ScheduleStore, registry: JobRegistry, clock: WallClock, logger: Logger, interval: Duration = .seconds(10),
        onFire: @escaping @Sendable () -> Void = {}
    ) {
        self.schedules = schedules
        self.registry = registry
        self.clock = clock
        self.logger = logger
        self.interval = interval
        self.onFire = onFire
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await self.tick()
                } catch {
                    self.logger.warning("scheduler tick failed", metadata: ["error": .string("\(type(of: error))")])
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One pass: for every enabled schedule, fire its latest due slot if it has not fired yet.
    /// After downtime only the latest missed slot fires, once. Returns the names and job ids fired.
    @discardableResult
    public func tick() async throws -> [(name: String, jobId: Int64)] {
        // Whole milliseconds, like the stored anchors and slots, so slot boundaries compare exactly.
        let now = Millis.date(clock.millis())
        var fired: [(String, Int64)] = []
        for schedule in try await schedules.list() where schedule.enabled {
            guard let zone = TimeZone(identifier: schedule.timezone),
                let slot = ScheduleSlots.latestDue(
                    schedule.cadence, timezone: zone, anchor: Millis.date(schedule.anchorAt), now: now)
            else { continue }
            let slotMillis = Millis.from(slot)
            if let last = schedule.lastSlotAt, last >= slotMillis { continue }
            let maxAttempts = registry.kind(schedule.kind)?.maxAttempts ?? 3
            if let jobId = try await schedules.fire(schedule, slot: slotMillis, maxAttempts: maxAttempts) {
                logger.info(
                    "schedule fired",
                    metadata: ["schedule": .string(schedule.name), "slot": .string(Timestamp.iso8601(slot)), "job_id": .stringConvertible(jobId)])
                fired.append((schedule.name, jobId))
            }
        }
        if !fired.isEmpty { onFire() }
        return fired
    }
}
