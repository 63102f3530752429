@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite struct ScheduleSlotTests {
    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test func dailySlotsInAZone() {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let anchor = Self.date("2026-06-01T00:00:00Z")
        // 03:00 in Berlin (CEST, UTC+2) is 01:00Z.
        #expect(ScheduleSlots.latestDue(.daily(hour: 3, minute: 0), timezone: berlin, anchor: anchor, now: Self.date("2026-06-01T00:59:00Z")) == nil)
        #expect(ScheduleSlots.latestDue(.daily(hour: 3, minute: 0), timezone: berlin, anchor: anchor, now: Self.date("2026-06-01T01:00:00Z")) == Self.date("2026-06-01T01:00:00Z"))
        #expect(ScheduleSlots.latestDue(.daily(hour: 3, minute: 0), timezone: berlin, anchor: anchor, now: Self.date("2026-06-03T00:30:00Z")) == Self.date("2026-06-02T01:00:00Z"))
        #expect(ScheduleSlots.next(.daily(hour: 3, minute: 0), timezone: berlin, anchor: anchor, after: Self.date("2026-06-02T01:00:00Z")) == Self.date("2026-06-03T01:00:00Z"))
    }

    @Test func springForwardFiresAtTheNextExistingTime() {
        // 2026-03-29 in Berlin: 02:00 jumps to 03:00, so 02:30 does not exist that day.
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let anchor = Self.date("2026-03-28T12:00:00Z")
        let slot = ScheduleSlots.latestDue(.daily(hour: 2, minute: 30), timezone: berlin, anchor: anchor, now: Self.date("2026-03-29T06:00:00Z"))
        #expect(slot == Self.date("2026-03-29T01:00:00Z"))  // 03:00 CEST
        // The day before and after keep their normal 02:30.
        #expect(ScheduleSlots.next(.daily(hour: 2, minute: 30), timezone: berlin, anchor: anchor, after: anchor) == slot)
        #expect(ScheduleSlots.next(.daily(hour: 2, minute: 30), timezone: berlin, anchor: anchor, after: slot!) == Self.date("2026-03-30T00:30:00Z"))
    }

    @Test func fallBackFiresOnceAtTheFirstOccurrence() {
        // 2026-10-25 in Berlin: 03:00 goes back to 02:00, so 02:30 happens twice (00:30Z and 01:30Z).
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let anchor = Self.date("2026-10-24T12:00:00Z")
        let first = Self.date("2026-10-25T00:30:00Z")
        #expect(ScheduleSlots.latestDue(.daily(hour: 2, minute: 30), timezone: berlin, anchor: anchor, now: Self.date("2026-10-25T01:45:00Z")) == first)
        #expect(ScheduleSlots.next(.daily(hour: 2, minute: 30), timezone: berlin, anchor: anchor, after: first) == Self.date("2026-10-26T01:30:00Z"))
    }

    @Test func intervalSlotsCountFromTheAnchor() {
        let anchor = Self.date("2026-01-01T00:00:00Z")
        let utc = TimeZone(identifier: "UTC")!
        #expect(ScheduleSlots.latestDue(.interval(minutes: 5), timezone: utc, anchor: anchor, now: Self.date("2026-01-01T00:04:59Z")) == nil)
        #expect(ScheduleSlots.latestDue(.interval(minutes: 5), timezone: utc, anchor: anchor, now: Self.date("2026-01-01T00:17:00Z")) == Self.date("2026-01-01T00:15:00Z"))
        #expect(ScheduleSlots.next(.interval(minutes: 5), timezone: utc, anchor: anchor, after: Self.date("2026-01-01T00:15:00Z")) == Self.date("2026-01-01T00:20:00Z"))
    }
}

@Suite struct SchedulerTests {
    static func definition(_ cadence: Cadence, zone: String = "UTC") -> ScheduleDefinition {
        ScheduleDefinition(name: "test-schedule", kind: JobCatalog.pruneJobs, cadence: cadence, timezone: zone)
    }

    @Test(arguments: Backends.all)
    func catchUpAfterDowntimeFiresTheMissedSlotOnce(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            harness.clock.advance(by: -harness.clock.wallClock.now().timeIntervalSince(ScheduleSlotTests.date("2026-05-01T00:00:00Z")))
            try await services.schedules.ensure(Self.definition(.daily(hour: 3, minute: 0)))
            let scheduler = services.makeScheduler()
            #expect(try await scheduler.tick().filter { $0.name == "test-schedule" }.isEmpty)
            harness.clock.advance(by: 4 * 3600)  // 04:00 on day one
            #expect(try await scheduler.tick().filter { $0.name == "test-schedule" }.count == 1)
            #expect(try await scheduler.tick().filter { $0.name == "test-schedule" }.isEmpty)
            // Down for three days: the slots of days two, three and four were missed; one catch-up run.
            harness.clock.advance(by: 3 * 86_400 + 3600)
            #expect(try await scheduler.tick().filter { $0.name == "test-schedule" }.count == 1)
            #expect(try await scheduler.tick().filter { $0.name == "test-schedule" }.isEmpty)
            #expect(try await services.schedules.fireCount("test-schedule") == 2)
            let schedule = try #require(try await services.schedules.get("test-schedule"))
            #expect(schedule.lastSlotAt == Millis.from(ScheduleSlotTests.date("2026-05-04T03:00:00Z")))
        }
    }

    @Test(arguments: Backends.all)
    func twoReplicasFireEachSlotOnce(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            // A fixed time of day: run near 02:30 the built-in daily job-pruning schedule (same job kind) would fire too.
            harness.clock.advance(by: -harness.clock.wallClock.now().timeIntervalSince(ScheduleSlotTests.date("2026-05-01T10:00:00Z")))
            try await harness.services.schedules.ensure(Self.definition(.interval(minutes: 1)))
            let other = try await replica(of: harness)
            let schedulers = [harness.services.makeScheduler(), other.makeScheduler()]
            for _ in 0..<5 {
                harness.clock.advance(by: 60)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for scheduler in schedulers {
                        for _ in 0..<3 { group.addTask { _ = try await scheduler.tick() } }
                    }
                    try await group.waitForAll()
                }
            }
            await other.store.close()
            #expect(try await harness.services.schedules.fireCount("test-schedule") == 5)
            let jobs = try await harness.services.jobs.list(kind: JobCatalog.pruneJobs, state: nil, offset: 0, limit: 100)
            #expect(jobs.total == 5)
        }
    }

    @Test(arguments: Backends.all)
    func schedulesAreChangedAtRunTimeThroughTheAPI(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let list = try await client.send(.get, "/api/v1/schedules", auth: .session(admin))
                #expect(list.status == .ok)
                let builtIn = JobCatalog.schedules(timezone: "UTC").count + CapacityJobs.schedules(timezone: "UTC").count
                    + AccountsJobs.schedules(timezone: "UTC").count
                #expect(list.json["data"]?["total"]?.intValue == Int64(builtIn))
                let path = "/api/v1/schedules/prune-finished-jobs"
                let changed = try await client.send(
                    .put, path, auth: .session(admin), json: #"{"time":"04:15","timezone":"Asia/Tokyo","enabled":true}"#)
                #expect(changed.status == .ok)
                #expect(changed.json["data"]?["time"] == "04:15")
                #expect(changed.json["data"]?["timezone"] == "Asia/Tokyo")
                #expect(changed.json["data"]?["next_run_at"]?.stringValue?.hasSuffix(":15:00Z") == true)
                let disabled = try await client.send(.put, path, auth: .session(admin), json: #"{"enabled":false}"#)
                #expect(disabled.json["data"]?["enabled"] == false)
                #expect(disabled.json["data"]?["next_run_at"] == nil)

                for bad in [#"{"time":"25:00"}"#, #"{"timezone":"Mars/Olympus"}"#, #"{"interval_minutes":0}"#,
                            #"{"time":"01:00","interval_minutes":5}"#, #"{"enabled":"yes"}"#] {
                    let response = try await client.send(.put, path, auth: .session(admin), json: bad)
                    #expect(response.status == .badRequest, "\(bad)")
                }
                let unknown = try await client.send(.put, "/api/v1/schedules/nope", auth: .session(admin), json: #"{"enabled":true}"#)
                #expect(unknown.status == .notFound)
            }
            // A disabled schedule does not fire.
            harness.clock.advance(by: 3 * 86_400)
            let fired = try await harness.services.makeScheduler().tick()
            #expect(!fired.contains { $0.name == "prune-finished-jobs" })
        }
    }
}

@Suite struct TaskRunAPITests {
    @Test(arguments: Backends.all)
    func listFilterPageAndRead(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await enqueueMany(harness.services, kind: "test.a", count: 30)
            try await enqueueMany(harness.services, kind: "test.b", count: 5)
            try await harness.test { client in
                let admin = try await client.adminSession()
                let all = try await client.send(.get, "/api/v1/task-runs?limit=10&page=2", auth: .session(admin))
                #expect(all.json["data"]?["total"] == 35)
                #expect(all.json["data"]?["limit"] == 10)
                #expect(all.json["data"]?["page"] == 2)
                #expect(all.json["data"]?["items"]?.arrayCount == 10)
                let kind = try await client.send(.get, "/api/v1/task-runs?kind=test.b&state=queued", auth: .session(admin))
                #expect(kind.json["data"]?["total"] == 5)
                let clamped = try await client.send(.get, "/api/v1/task-runs?limit=999&page=-3", auth: .session(admin))
                #expect(clamped.json["data"]?["limit"] == 200)
                #expect(clamped.json["data"]?["page"] == 1)
                let fallback = try await client.send(.get, "/api/v1/task-runs?limit=abc", auth: .session(admin))
                #expect(fallback.json["data"]?["limit"] == 20)
                let badState = try await client.send(.get, "/api/v1/task-runs?state=done", auth: .session(admin))
                #expect(badState.status == .badRequest)
                let id = try #require(kind.json["data"]?["items"]?.arrayFirst?["id"]?.intValue)
                let one = try await client.send(.get, "/api/v1/task-runs/\(id)", auth: .session(admin))
                #expect(one.json["data"]?["kind"] == "test.b")
                #expect(one.json["data"]?["state"] == "queued")
                #expect(try await client.send(.get, "/api/v1/task-runs/abc", auth: .session(admin)).status == .notFound)
            }
        }
    }

    @Test(arguments: Backends.all)
    func jobMetricsAreExported(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            services.jobKinds.register(JobKind("test.metric") { _ in nil })
            try await enqueueMany(services, kind: "test.queued-metric", count: 3)
            let id = try await services.enqueue(NewJob(kind: "test.metric"))
            let runner = fastRunner(services)
            let loops = runner.start()
            #expect(try await waitUntil { try await services.jobs.get(id)?.state == .succeeded })
            await runner.stop(loops)
            let text = await services.metrics.render()
            #expect(text.contains(#"fathom_jobs{kind="test.queued-metric",state="queued"} 3"#))
            #expect(text.contains(#"fathom_jobs_finished_total{kind="test.metric",outcome="succeeded"} 1"#))
            #expect(text.contains(#"fathom_job_duration_seconds_count{kind="test.metric"} 1"#))
        }
    }
}
