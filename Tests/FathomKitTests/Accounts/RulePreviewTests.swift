@testable import FathomKit
import Foundation
import HummingbirdTesting
import Testing

/// `POST /api/v1/accounts/classifications/rules/actions/preview`: which accounts an expression would match, on the
/// stored facts, changing nothing; bad input is a 400 naming the field.
@Suite(.timeLimit(.minutes(5))) struct RulePreviewTests {
    @Test(arguments: Backends.all)
    func previewCountsAndListsMatchesWithoutAssigning(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let instance = try await AccountsFixture.instance(harness.services, name: "preview")
            try await AccountsFixture.record(harness.services, instance, [
                "bob": AccountsFixture.snapshot(roles: ["reader": false]),
                "carol": AccountsFixture.snapshot(superuser: true),
                "dave": AccountsFixture.snapshot(roles: ["reader": true]),
            ])
            try await harness.test { client in
                let admin = try await client.adminSession()
                func preview(_ body: String) async throws -> TestResponse {
                    try await client.send(.post, "/api/v1/accounts/classifications/rules/actions/preview", auth: .session(admin), json: body)
                }
                let readers = try await preview(#"{"db_type":"postgresql","rule_expression":{"version":4,"expr":{"fn":"has_role","args":{"name":"reader"}}}}"#)
                #expect(readers.status == .ok, "\(readers.text)")
                #expect(readers.json["data"]?["matched"] == 2 && readers.json["data"]?["scanned"] == 3)
                #expect(readers.json["data"]?["accounts"]?.arrayItems.compactMap { $0["username"]?.stringValue } == ["bob", "dave"])
                let otherType = try await preview(#"{"db_type":"mysql","rule_expression":{"version":4,"expr":{"fn":"is_superuser","args":{}}}}"#)
                #expect(otherType.json["data"]?["scanned"] == 0)
                // Nothing was assigned.
                let assignments = try await client.send(.get, "/api/v1/accounts/classifications/assignments", auth: .session(admin))
                #expect(assignments.json["data"]?["total"] == 0, "\(assignments.text)")

                let bad = try await preview(#"{"db_type":"postgresql","rule_expression":{"version":4,"expr":{"fn":"has_rol","args":{}}}}"#)
                #expect(bad.status == .badRequest && bad.text.contains("rule_expression.expr"))
                #expect(try await preview(#"{"rule_expression":{"version":4,"expr":{"fn":"is_superuser","args":{}}}}"#).status == .badRequest)
                #expect(try await preview(#"{"db_type":"db2","rule_expression":{"version":4,"expr":{"fn":"is_superuser","args":{}}}}"#).status == .badRequest)
            }
        }
    }
}
