@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The accounts API over recorded syncs: ledger filters, permissions, change history, change logs and the export.
@Suite(.timeLimit(.minutes(10))) struct AccountsAPITests {
    typealias F = AccountsFixture

    @Test(arguments: Backends.all)
    func ledgerPermissionsHistoryAndExport(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let prod = try await F.instance(services, name: "prod-db", labels: ["env": "prod"])
            let other = try await F.instance(services, name: "other-db")
            let first = try await F.record(services, prod, [
                "alice": F.snapshot(superuser: true),
                "bob": F.snapshot(roles: ["app_write": false], databases: ["shop": ["CONNECT"]], tables: ["shop.public": ["INSERT"]]),
                "carol": F.snapshot(login: false),
            ])
            #expect(first.created == 3 && first.changes["add"] == 3)
            try await F.record(services, other, ["dave": F.snapshot()])
            _ = try await harness.createUser("acc-viewer", role: .viewer)

            try await harness.test { client in
                let auth = Auth.session(try await client.login("acc-viewer", "password-123"))
                func total(_ query: String) async throws -> Int64? {
                    try await client.send(.get, "/api/v1/accounts/ledgers\(query)", auth: auth).json["data"]?["total"]?.intValue
                }
                let ledger = try await client.send(.get, "/api/v1/accounts/ledgers", auth: auth)
                #expect(ledger.status == .ok)
                #expect(ledger.json["data"]?["total"] == 4)
                #expect(ledger.json["data"]?["limit"] == 20)
                let bob = try #require(ledger.json["data"]?["items"]?.arrayValue?.first { $0["username"] == "bob" })
                #expect(bob["instance"]?["instance_id"]?.intValue == prod)
                #expect(bob["instance"]?["name"] == "prod-db")
                #expect(bob["tags"] == ["env:prod"])
                #expect(bob["roles"] == ["app_write"])
                #expect(bob["is_superuser"] == false)
                #expect(try await total("?instance_id=\(prod)") == 3)
                #expect(try await total("?is_superuser=true") == 1)
                #expect(try await total("?is_locked=true") == 1)
                #expect(try await total("?search=BO") == 1)
                #expect(try await total("?tags=env:prod") == 3)
                #expect(try await total("?tags=env") == 3)
                #expect(try await total("?db_type=mysql") == 0)
                #expect(try await total("?db_type=postgresql") == 4)
                let clamped = try await client.send(.get, "/api/v1/accounts/ledgers?limit=5000&page=0", auth: auth)
                #expect(clamped.json["data"]?["limit"] == 200 && clamped.json["data"]?["page"] == 1)
                #expect(try await client.send(.get, "/api/v1/accounts/ledgers?instance_id=abc", auth: auth).status == .badRequest)
                #expect(try await client.send(.get, "/api/v1/accounts/ledgers?is_superuser=maybe", auth: auth).status == .badRequest)

                let bobId = try #require(bob["account_id"]?.intValue)
                let permissions = try await client.send(.get, "/api/v1/accounts/ledgers/\(bobId)/permissions", auth: auth)
                #expect(permissions.status == .ok)
                #expect(permissions.json["data"]?["snapshot"]?["roles"]?["app_write"] == false)
                #expect(permissions.json["data"]?["snapshot"]?["privileges"]?["table"]?["shop.public"] == ["INSERT"])
                #expect(permissions.json["data"]?["facts"]?["capabilities"] == [])
                #expect(permissions.json["data"]?["facts"]?["privileges"]?["global"]?["*"] == ["LOGIN"])
                #expect(try await client.send(.get, "/api/v1/accounts/ledgers/999999/permissions", auth: auth).status == .notFound)
                #expect(try await client.send(.get, "/api/v1/accounts/ledgers/abc/permissions", auth: auth).status == .notFound)
                #expect(try await client.send(.get, "/api/v1/accounts/ledgers/999999/change-history", auth: auth).status == .notFound)
            }

            // A second sync: alice dropped, bob's grants changed, carol's limit changed, erin created.
            let second = try await F.record(services, prod, [
                "bob": F.snapshot(roles: ["app_write": false], databases: ["shop": ["CONNECT"]], tables: ["shop.public": ["SELECT"]]),
                "carol": F.snapshot(login: false, limit: 5),
                "erin": F.snapshot(),
            ])
            #expect(second.created == 1 && second.refreshed == 2 && second.deactivated == 1)
            #expect(second.changes == ["add": 1, "delete": 1, "modify_privilege": 1, "modify_other": 1])
            // An unchanged sync logs nothing.
            let third = try await F.record(services, prod, [
                "bob": F.snapshot(roles: ["app_write": false], databases: ["shop": ["CONNECT"]], tables: ["shop.public": ["SELECT"]]),
                "carol": F.snapshot(login: false, limit: 5),
                "erin": F.snapshot(),
            ])
            #expect(third.changes.isEmpty && third.refreshed == 3)

            try await harness.test { client in
                let auth = Auth.session(try await client.adminSession())
                let bobId = try await services.store.read { db in
                    try await db.raw("SELECT account_id FROM account_ledger WHERE username = 'bob'").first()!.int64("account_id")
                }
                let history = try await client.send(.get, "/api/v1/accounts/ledgers/\(bobId)/change-history", auth: auth)
                #expect(history.json["data"]?["total"] == 2)
                let latest = try #require(history.json["data"]?["items"]?.arrayFirst)
                #expect(latest["change_type"] == "modify_privilege")
                #expect(AccountSyncTests.entries(latest["privilege_diff"] ?? .null) == ["GRANT table shop.public SELECT", "REVOKE table shop.public INSERT"])

                func logs(_ query: String) async throws -> TestResponse { try await client.send(.get, "/api/v1/account-change-logs\(query)", auth: auth) }
                #expect(try await logs("").json["data"]?["total"] == 8)
                let deleted = try await logs("?change_type=delete")
                #expect(deleted.json["data"]?["total"] == 1)
                #expect(deleted.json["data"]?["items"]?.arrayFirst?["username"] == "alice")
                let modified = try await logs("?change_type=modify_other")
                #expect(modified.json["data"]?["items"]?.arrayFirst?["other_diff"] == [["field": "connection_limit", "before": -1, "after": 5]])
                #expect(try await logs("?instance_id=\(other)").json["data"]?["total"] == 1)
                #expect(try await logs("?instance_id=zero").status == .badRequest)
                #expect(try await logs("?change_type=bogus").status == .badRequest)
                #expect(try await logs("?since=2999-01-01").json["data"]?["total"] == 0)
                #expect(try await logs("?since=2000-01-01T00:00:00Z").json["data"]?["total"] == 8)
                #expect(try await logs("?since=yesterday").status == .badRequest)

                let ledger = try await client.send(.get, "/api/v1/accounts/ledgers?instance_id=\(prod)", auth: auth)
                #expect(ledger.json["data"]?["total"] == 3)
                let withDeleted = try await client.send(.get, "/api/v1/accounts/ledgers?instance_id=\(prod)&include_deleted=true", auth: auth)
                #expect(withDeleted.json["data"]?["total"] == 4)
                #expect(withDeleted.json["data"]?["items"]?.arrayValue?.first { $0["username"] == "alice" }?["is_deleted"] == true)

                let export = try await client.send(.get, "/api/v1/accounts/ledgers/exports?tags=env:prod", auth: auth)
                #expect(export.status == .ok)
                #expect(export.headers[.contentType] == "text/csv; charset=utf-8")
                let lines = export.text.split(separator: "\r\n")
                #expect(lines.count == 4)
                #expect(lines.first?.hasPrefix("account_id,username,db_type,instance_id") == true)
                #expect(lines.contains { $0.contains(",bob,postgresql,") && $0.contains("app_write") })
                #expect(try await client.send(.get, "/api/v1/accounts/ledgers/exports?instance_id=x", auth: auth).status == .badRequest)
            }
        }
    }
}

