@testable import FathomKit
import Foundation
import HummingbirdTesting
import Testing

/// Schedule groups fire once per local date in their own zone, with catch-up on the same day after downtime.
@Suite(.timeLimit(.minutes(10))) struct FiringTests {
    @Test(arguments: Backends.all)
    func catchUpFiresOnceAcrossARestart(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let clock = harness.clock
            func move(to iso: String) {
                let target = ISO8601DateFormatter().date(from: iso)!
                clock.advance(by: target.timeIntervalSince(clock.wallClock.now()))
            }
            // 01:00 in Shanghai on 2026-03-11.
            move(to: "2026-03-10T17:00:00Z")
            let (groupId, sourceId) = try await harness.test { client in
                let admin = try await client.adminSession()
                let group = try await client.send(
                    .post, "/api/v1/schedule-groups", auth: .session(admin),
                    json: #"{"name":"nightly","timezone":"Asia/Shanghai","runAtHhmm":"02:00"}"#)
                let groupId = group.json["data"]?["groupId"]?.stringValue ?? ""
                let sourceId = try await Ledger.createSource(client, admin, extra: #","scheduleGroupId":"\#(groupId)""#)
                _ = try await Ledger.createSource(client, admin, name: "off", extra: #","scheduleGroupId":"\#(groupId)","enabled":false"#)
                return (groupId, sourceId)
            }
            let firing = Ledger.feature(harness.services).firing
            #expect(try await firing.fireDue().isEmpty)

            // Fathom is down over 02:00 and comes back at 04:00 the same local day: one firing, on one replica only.
            move(to: "2026-03-10T20:00:00Z")
            let restarted = try await replica(of: harness)
            let other = try await replica(of: harness)
            async let first = Ledger.feature(restarted).firing.fireDue()
            async let second = Ledger.feature(other).firing.fireDue()
            let fired = try await first + second
            #expect(fired.count == 1)
            #expect(fired.first?.queued == 1)
            #expect(fired.first?.skipped == 1)
            #expect(fired.first?.items.first(where: { $0.sourceId == sourceId })?.outcome == "queued")
            #expect(try await firing.fireDue().isEmpty)
            let group = try #require(try await Ledger.feature(restarted).groups.get(groupId))
            #expect(group.lastTriggeredOn == "2026-03-11")
            let runs = try await Ledger.feature(restarted).runStore.list(.init(triggerType: "schedule"), offset: 0, limit: 10)
            #expect(runs.total == 1)

            // Down over the next day's 02:00 until after midnight: that day is not replayed on the following one.
            move(to: "2026-03-12T17:30:00Z")  // 01:30 on 03-13
            #expect(try await firing.fireDue().isEmpty)
            move(to: "2026-03-12T18:00:30Z")  // 02:00:30 on 03-13
            // The first run is still queued: the day's firing is recorded, its trigger suppressed.
            let next = try await firing.fireDue()
            #expect(next.count == 1)
            #expect(next.first?.suppressed == 1)
            #expect(try await firing.fireDue().isEmpty)
            await restarted.store.close()
            await other.store.close()
        }
    }
}
