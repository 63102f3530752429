@testable import FathomKit
import Foundation
import HummingbirdTesting
import Testing

/// Schedule groups (§3): CRUD, validation codes, unique names, deletion only without live sources.
@Suite(.timeLimit(.minutes(10))) struct ScheduleGroupTests {
    @Test(arguments: Backends.all)
    func crudWithValidation(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let created = try await client.send(
                    .post, "/api/v1/schedule-groups", auth: .session(admin),
                    json: #"{"name":"每日凌晨采集","timezone":"Asia/Shanghai","runAtHhmm":"02:00"}"#)
                #expect(created.status == .created)
                let group = try #require(created.json["data"])
                let id = try #require(group["groupId"]?.stringValue)
                #expect(id.hasPrefix("sg_"))
                #expect(group["enabled"] == true)
                #expect(group["sourceCount"] == 0)
                #expect(group["lastTriggeredOn"] == .null)
                #expect(created.json["meta"]?["requestId"] != nil)

                let duplicate = try await client.send(
                    .post, "/api/v1/schedule-groups", auth: .session(admin),
                    json: #"{"name":"每日凌晨采集","timezone":"UTC","runAtHhmm":"03:00"}"#)
                #expect(duplicate.status == .conflict)
                #expect(duplicate.errorCode == "CONFIG_DUPLICATE_NAME")

                for (body, code) in [
                    (#"{"name":"a","timezone":"Mars/Olympus","runAtHhmm":"02:00"}"#, "CONFIG_INVALID_TIMEZONE"),
                    (#"{"name":"a","timezone":"GMT+8","runAtHhmm":"02:00"}"#, "CONFIG_INVALID_TIMEZONE"),
                    (#"{"name":"a","timezone":"UTC","runAtHhmm":"2:00"}"#, "CONFIG_INVALID_HHMM"),
                    (#"{"name":"a","timezone":"UTC","runAtHhmm":"24:00"}"#, "CONFIG_INVALID_HHMM"),
                    (#"{"name":"","timezone":"UTC","runAtHhmm":"02:00"}"#, "CONFIG_INVALID_REQUEST"),
                    (#"{"timezone":"UTC","runAtHhmm":"02:00"}"#, "CONFIG_INVALID_REQUEST"),
                    (#"{"name":"a","timezone":"UTC","runAtHhmm":"02:00","extra":1}"#, "CONFIG_INVALID_REQUEST"),
                ] {
                    let bad = try await client.send(.post, "/api/v1/schedule-groups", auth: .session(admin), json: body)
                    #expect(bad.status == .badRequest, "\(body)")
                    #expect(bad.errorCode == code, "\(body) → \(bad.text)")
                }

                let updated = try await client.send(
                    .put, "/api/v1/schedule-groups/\(id)", auth: .session(admin), json: #"{"runAtHhmm":"03:30","enabled":false}"#)
                #expect(updated.status == .ok)
                #expect(updated.json["data"]?["runAtHhmm"] == "03:30")
                #expect(updated.json["data"]?["name"] == "每日凌晨采集")
                let badUpdate = try await client.send(
                    .put, "/api/v1/schedule-groups/\(id)", auth: .session(admin), json: #"{"timezone":"Nowhere"}"#)
                #expect(badUpdate.errorCode == "CONFIG_INVALID_TIMEZONE")

                _ = try await client.send(
                    .post, "/api/v1/schedule-groups", auth: .session(admin),
                    json: #"{"name":"second","timezone":"Europe/Berlin","runAtHhmm":"01:00"}"#)
                let all = try await client.send(.get, "/api/v1/schedule-groups?pageSize=1", auth: .session(admin))
                #expect(all.json["pagination"] == ["page": 1, "pageSize": 1, "total": 2, "totalPages": 2])
                let enabled = try await client.send(.get, "/api/v1/schedule-groups?enabled=true", auth: .session(admin))
                #expect(enabled.json["pagination"]?["total"] == 1)
                #expect(enabled.json["data"]?.arrayCount == 1)
                let badFilter = try await client.send(.get, "/api/v1/schedule-groups?enabled=maybe", auth: .session(admin))
                #expect(badFilter.status == .badRequest)

                // A group with a live source cannot go; once the source is deleted it can.
                let sourceId = try await Ledger.createSource(client, admin, extra: #","scheduleGroupId":"\#(id)""#)
                let counted = try await client.send(.get, "/api/v1/schedule-groups/\(id)", auth: .session(admin))
                #expect(counted.json["data"]?["sourceCount"] == 1)
                let refused = try await client.send(.delete, "/api/v1/schedule-groups/\(id)", auth: .session(admin))
                #expect(refused.status == .conflict)
                #expect(refused.errorCode == "CONFIG_RESOURCE_CONFLICT")
                #expect(try await client.send(.delete, "/api/v1/sources/\(sourceId)", auth: .session(admin)).status == .noContent)
                #expect(try await client.send(.delete, "/api/v1/schedule-groups/\(id)", auth: .session(admin)).status == .noContent)
                let gone = try await client.send(.get, "/api/v1/schedule-groups/\(id)", auth: .session(admin))
                #expect(gone.status == .notFound)
                #expect(gone.errorCode == "CONFIG_SCHEDULE_GROUP_NOT_FOUND")

                // Viewers read, never write.
                _ = try await harness.createUser("ledger-viewer", role: .viewer)
                let viewer = try await client.login("ledger-viewer", "password-123")
                #expect(try await client.send(.get, "/api/v1/schedule-groups", auth: .session(viewer)).status == .ok)
                let denied = try await client.send(
                    .post, "/api/v1/schedule-groups", auth: .session(viewer), json: #"{"name":"v","timezone":"UTC","runAtHhmm":"01:00"}"#)
                #expect(denied.status == .forbidden)
            }
        }
    }
}

extension JSONValue {
    var arrayItems: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}
