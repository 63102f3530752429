@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Classifications, versioned rules, expression validation, auto-classification and assignments through the API.
@Suite(.timeLimit(.minutes(10))) struct ClassificationAPITests {
    typealias F = AccountsFixture

    static let superRule = #"{"version":4,"expr":{"fn":"is_superuser"}}"#
    static let lockedRule = #"{"version":4,"expr":{"fn":"has_capability","args":{"name":"LOCKED"}}}"#

    @Test(arguments: Backends.all)
    func classificationsRulesAndAssignments(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let prod = try await F.instance(services, name: "prod-db")
            try await F.record(services, prod, [
                "alice": F.snapshot(superuser: true), "bob": F.snapshot(tables: ["shop.public": ["INSERT"]]), "carol": F.snapshot(login: false),
            ])
            try await harness.test { client in
                let auth = Auth.session(try await client.adminSession())
                func send(_ method: HTTPRequest.Method, _ path: String, _ json: String? = nil) async throws -> TestResponse {
                    try await client.send(method, path, auth: auth, json: json)
                }
                // The six system classes, highest risk first.
                let classes = try await send(.get, "/api/v1/accounts/classifications")
                #expect(classes.json["data"]?["total"] == 6)
                #expect(classes.json["data"]?["items"]?.arrayValue?.map { $0["code"]!.stringValue! } == ["super", "highly", "sensitive", "medium", "low", "public"])
                let superId = try #require(classes.json["data"]?["items"]?.arrayFirst?["classification_id"]?.intValue)

                let created = try await send(.post, "/api/v1/accounts/classifications", #"{"code":"dba_tools","display_name":"DBA tools","risk_level":2}"#)
                #expect(created.status == .created)
                #expect(created.json["data"]?["is_system"] == false && created.json["data"]?["priority"] == 50)
                let customId = try #require(created.json["data"]?["classification_id"]?.intValue)
                #expect(try await send(.post, "/api/v1/accounts/classifications", #"{"code":"dba_tools","display_name":"x","risk_level":2}"#).status == .conflict)
                let bad = try await send(.post, "/api/v1/accounts/classifications", #"{"code":"Bad Code","display_name":"x","risk_level":7}"#)
                #expect(bad.status == .badRequest)
                #expect(bad.json["error"]?["details"]?.arrayValue?.map { $0["field"]!.stringValue! } == ["code", "risk_level"])
                #expect(try await send(.post, "/api/v1/accounts/classifications", #"{"code":"x","display_name":"x","risk_level":"high"}"#).status == .badRequest)
                #expect(try await send(.put, "/api/v1/accounts/classifications/\(customId)", #"{"code":"renamed"}"#).status == .badRequest)
                let renamed = try await send(.put, "/api/v1/accounts/classifications/\(customId)", #"{"code":"dba_tools","display_name":"DBA","priority":80}"#)
                #expect(renamed.status == .ok && renamed.json["data"]?["display_name"] == "DBA" && renamed.json["data"]?["priority"] == 80)
                #expect(try await send(.put, "/api/v1/accounts/classifications/999999", #"{"priority":1}"#).status == .notFound)
                #expect(try await send(.delete, "/api/v1/accounts/classifications/\(superId)").status == .conflict)
                #expect(try await send(.get, "/api/v1/accounts/classifications/\(customId)").json["data"]?["code"] == "dba_tools")

                // Rules: a bad expression is refused with its path, here and in validate-expression.
                let badRule = try await send(.post, "/api/v1/accounts/classifications/rules",
                    #"{"classification_id":\#(superId),"db_type":"postgresql","rule_name":"bad","rule_expression":{"version":4,"expr":{"op":"AND","args":[{"fn":"has_role"}]}}}"#)
                #expect(badRule.status == .badRequest)
                #expect(badRule.json["error"]?["details"]?.arrayFirst?["field"] == "rule_expression.expr.args[0].args.name")
                let validated = try await send(.post, "/api/v1/accounts/classifications/rules/actions/validate-expression",
                    #"{"rule_expression":{"version":4,"expr":{"fn":"has_privilege","args":{"name":"SELECT","scope":"nowhere"}}}}"#)
                #expect(validated.status == .badRequest)
                #expect(validated.json["error"]?["details"]?.arrayFirst?["field"] == "rule_expression.expr.args.scope")
                #expect(try await send(.post, "/api/v1/accounts/classifications/rules/actions/validate-expression", #"{"rule_expression":\#(Self.superRule)}"#).json["data"]?["valid"] == true)
                #expect(try await send(.post, "/api/v1/accounts/classifications/rules",
                    #"{"classification_id":\#(superId),"db_type":"db2","rule_name":"x","rule_expression":\#(Self.superRule)}"#).status == .badRequest)
                #expect(try await send(.post, "/api/v1/accounts/classifications/rules",
                    #"{"classification_id":999999,"db_type":"postgresql","rule_name":"x","rule_expression":\#(Self.superRule)}"#).status == .notFound)

                let rule = try await send(.post, "/api/v1/accounts/classifications/rules",
                    #"{"classification_id":\#(superId),"db_type":"PostgreSQL","rule_name":"superusers","rule_expression":\#(Self.superRule)}"#)
                #expect(rule.status == .created)
                #expect(rule.json["data"]?["version"] == 1 && rule.json["data"]?["db_type"] == "postgresql")
                let ruleId = try #require(rule.json["data"]?["rule_id"]?.intValue)

                let first = try await services.classification.autoClassify()
                #expect(first.accounts == 3 && first.added == 1)
                let supers = try await send(.get, "/api/v1/accounts/ledgers?classification=super")
                #expect(supers.json["data"]?["items"]?.arrayValue?.map { $0["username"]!.stringValue! } == ["alice"])
                #expect(supers.json["data"]?["items"]?.arrayFirst?["classifications"]?.arrayFirst?["assignment_type"] == "auto")

                // A new expression is version 2 and supersedes version 1; a name change is not a new version.
                let changed = try await send(.put, "/api/v1/accounts/classifications/rules/\(ruleId)", #"{"rule_expression":\#(Self.lockedRule)}"#)
                #expect(changed.status == .ok)
                #expect(changed.json["data"]?["version"] == 2 && changed.json["data"]?["rule_key"]?.intValue == ruleId)
                let newId = try #require(changed.json["data"]?["rule_id"]?.intValue)
                #expect(newId != ruleId)
                #expect(try await send(.get, "/api/v1/accounts/classifications/rules/\(ruleId)").json["data"]?["superseded_by"]?.intValue == newId)
                #expect(try await send(.put, "/api/v1/accounts/classifications/rules/\(ruleId)", #"{"rule_name":"old"}"#).status == .conflict)
                let renamedRule = try await send(.put, "/api/v1/accounts/classifications/rules/\(newId)", #"{"rule_name":"locked accounts"}"#)
                #expect(renamedRule.json["data"]?["version"] == 2 && renamedRule.json["data"]?["rule_id"]?.intValue == newId)
                #expect(try await send(.put, "/api/v1/accounts/classifications/rules/\(newId)", #"{"db_type":"mysql"}"#).status == .badRequest)
                #expect(try await send(.get, "/api/v1/accounts/classifications/rules").json["data"]?["total"] == 1)
                #expect(try await send(.get, "/api/v1/accounts/classifications/rules?include_history=true").json["data"]?["total"] == 2)
                #expect(try await send(.get, "/api/v1/accounts/classifications/rules?db_type=db2").status == .badRequest)

                // Manual assignments survive classification runs; auto ones follow the rules.
                let bobId = try await services.store.read { db in
                    try await db.raw("SELECT account_id FROM account_ledger WHERE username = 'bob'").first()!.int64("account_id")
                }
                let manual = try await send(.post, "/api/v1/accounts/classifications/assignments", #"{"account_id":\#(bobId),"classification_id":\#(superId)}"#)
                #expect(manual.status == .created && manual.json["data"]?["assignment_type"] == "manual")
                #expect(try await send(.post, "/api/v1/accounts/classifications/assignments", #"{"account_id":999999,"classification_id":\#(superId)}"#).status == .notFound)
                #expect(try await send(.post, "/api/v1/accounts/classifications/assignments", #"{"account_id":\#(bobId)}"#).status == .badRequest)
                let second = try await services.classification.autoClassify()
                #expect(second.added == 1 && second.removed == 1)
                let now = try await send(.get, "/api/v1/accounts/ledgers?classification=super")
                #expect(now.json["data"]?["items"]?.arrayValue?.map { $0["username"]!.stringValue! } == ["bob", "carol"])
                let assignments = try await send(.get, "/api/v1/accounts/classifications/assignments?classification_id=\(superId)")
                #expect(assignments.json["data"]?["total"] == 2)
                #expect(try await send(.get, "/api/v1/accounts/classifications/assignments?assignment_type=manual").json["data"]?["total"] == 1)
                #expect(try await send(.get, "/api/v1/accounts/classifications/assignments?assignment_type=robot").status == .badRequest)

                // A class in use cannot go; once its rule is deleted it can. Deleting a rule drops its auto assignments.
                let customRule = try await send(.post, "/api/v1/accounts/classifications/rules",
                    #"{"classification_id":\#(customId),"db_type":"postgresql","rule_name":"writers","rule_expression":{"version":4,"expr":{"fn":"has_privilege","args":{"name":"INSERT","scope":"table","database":"shop"}}}}"#)
                let customRuleId = try #require(customRule.json["data"]?["rule_id"]?.intValue)
                #expect(try await services.classification.autoClassify().added == 1)
                #expect(try await send(.delete, "/api/v1/accounts/classifications/\(customId)").status == .conflict)
                #expect(try await send(.delete, "/api/v1/accounts/classifications/rules/\(customRuleId)").status == .ok)
                #expect(try await send(.delete, "/api/v1/accounts/classifications/rules/\(customRuleId)").status == .notFound)
                #expect(try await send(.delete, "/api/v1/accounts/classifications/\(customId)").status == .ok)
                #expect(try await send(.get, "/api/v1/accounts/classifications/\(customId)").status == .notFound)

                let manualId = try #require(manual.json["data"]?["assignment_id"]?.intValue)
                #expect(try await send(.delete, "/api/v1/accounts/classifications/assignments/\(manualId)").status == .ok)
                #expect(try await send(.delete, "/api/v1/accounts/classifications/assignments/\(manualId)").status == .notFound)

                // On demand, as a task run.
                let run = try await send(.post, "/api/v1/accounts/classifications/actions/auto-classify", #"{"instance_id":\#(prod)}"#)
                #expect(run.status == .ok && run.json["data"]?["run_id"]?.intValue != nil)
                #expect(try await send(.post, "/api/v1/accounts/classifications/actions/auto-classify", #"{"instance_id":0}"#).status == .badRequest)
            }
        }
    }
}
