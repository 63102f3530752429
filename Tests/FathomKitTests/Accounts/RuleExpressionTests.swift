@testable import FathomKit
import Foundation
import Testing

/// The rule expression language: parsing with path-naming errors, and evaluation (NOT, nesting, scopes).
@Suite(.timeLimit(.minutes(10))) struct RuleExpressionTests {
    static func parse(_ json: String) throws -> RuleExpression {
        try RuleExpression.parse(try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
    }

    static func issues(_ json: String) -> [String] {
        do {
            _ = try parse(json)
            return []
        } catch let error as AppError {
            return (error.details ?? []).compactMap { $0["field"]?.stringValue }
        } catch {
            return ["unexpected \(error)"]
        }
    }

    static func facts(
        dbType: String = "postgresql", superuser: Bool = false, createrole: Bool = false, roles: [String: Bool] = [:],
        privileges: [String: [String: [String]]] = [:], login: Bool = true
    ) -> FactIndex {
        let snapshot = PermissionSnapshot(
            attributes: ["superuser": .bool(superuser), "createrole": .bool(createrole), "login": .bool(login)], roles: roles,
            privileges: privileges)
        return FactIndex(dbType: dbType, facts: snapshot.facts(now: Date()))
    }

    @Test func badExpressionsAreRefusedNamingThePath() {
        #expect(Self.issues(#"{"version":4,"expr":{"op":"AND","args":[{"fn":"is_superuser"},{"fn":"has_privilege","args":{"name":"SELECT","scope":"galaxy"}}]}}"#)
            == ["rule_expression.expr.args[1].args.scope"])
        #expect(Self.issues(#"{"version":4,"expr":{"op":"OR","args":[{"op":"NOT","args":[{"fn":"nope"}]}]}}"#)
            == ["rule_expression.expr.args[0].args[0].fn"])
        #expect(Self.issues(#"{"version":3,"expr":{"fn":"is_superuser"}}"#) == ["rule_expression.version"])
        #expect(Self.issues(#"{"version":4}"#) == ["rule_expression.expr"])
        #expect(Self.issues(#"{"version":4,"expr":{"op":"NOT","args":[{"fn":"is_superuser"},{"fn":"is_superuser"}]}}"#) == ["rule_expression.expr.args"])
        #expect(Self.issues(#"{"version":4,"expr":{"op":"XOR","args":[]}}"#) == ["rule_expression.expr.op"])
        #expect(Self.issues(#"{"version":4,"expr":{"fn":"has_role","args":{}}}"#) == ["rule_expression.expr.args.name"])
        #expect(Self.issues(#"{"version":4,"expr":{"fn":"has_role","args":{"name":"x","extra":1}}}"#) == ["rule_expression.expr.args.extra"])
        #expect(Self.issues(#"{"version":4,"expr":{"fn":"db_type_in","args":{"db_types":["postgresql","db2"]}}}"#)
            == ["rule_expression.expr.args.db_types[1]"])
        #expect(Self.issues(#"{"version":4,"expr":{"fn":"is_superuser","op":"AND"}}"#) == ["rule_expression.expr"])
        #expect(Self.issues(#"{"version":4,"expr":"is_superuser"}"#) == ["rule_expression.expr"])
        #expect(Self.issues(#"[1]"#) == ["rule_expression"])
        #expect(Self.issues(#"{"version":4,"expr":{"fn":"has_privilege","args":{"name":"CONNECT","scope":"global","database":"x"}}}"#)
            == ["rule_expression.expr.args.database"])
        // Too deep: 17 nested NOTs.
        let deep = String(repeating: #"{"op":"NOT","args":["#, count: 17) + #"{"fn":"is_superuser"}"# + String(repeating: "]}", count: 17)
        #expect(Self.issues(#"{"version":4,"expr":\#(deep)}"#).first?.hasSuffix("args[0]") == true)
    }

    @Test func evaluationFollowsTheOperatorsAndScopes() throws {
        let admin = Self.facts(superuser: true)
        let writer = Self.facts(
            roles: ["app_write": false],
            privileges: ["database": ["shop": ["CONNECT", "CREATE"]], "table": ["shop.public": ["INSERT", "SELECT"], "crm.sales": ["SELECT"]]])
        let locked = Self.facts(login: false)
        let granter = Self.facts(roles: ["app_read": true])

        #expect(try Self.parse(#"{"version":4,"expr":{"fn":"is_superuser"}}"#).matches(admin))
        #expect(try !Self.parse(#"{"version":4,"expr":{"fn":"is_superuser"}}"#).matches(writer))
        let notSuper = try Self.parse(#"{"version":4,"expr":{"op":"NOT","args":[{"fn":"is_superuser"}]}}"#)
        #expect(!notSuper.matches(admin) && notSuper.matches(writer))
        // Scoped privileges: a database narrows to its own objects.
        let insertShop = try Self.parse(#"{"version":4,"expr":{"fn":"has_privilege","args":{"name":"insert","scope":"table","database":"shop"}}}"#)
        let insertCrm = try Self.parse(#"{"version":4,"expr":{"fn":"has_privilege","args":{"name":"INSERT","scope":"table","database":"crm"}}}"#)
        let selectAnywhere = try Self.parse(#"{"version":4,"expr":{"fn":"has_privilege","args":{"name":"SELECT","scope":"table"}}}"#)
        #expect(insertShop.matches(writer) && !insertCrm.matches(writer) && selectAnywhere.matches(writer))
        #expect(try Self.parse(#"{"version":4,"expr":{"fn":"has_privilege","args":{"name":"CREATE","scope":"database","database":"shop"}}}"#).matches(writer))
        #expect(try !Self.parse(#"{"version":4,"expr":{"fn":"has_privilege","args":{"name":"CREATE","scope":"schema"}}}"#).matches(writer))
        #expect(try Self.parse(#"{"version":4,"expr":{"fn":"has_privilege","args":{"name":"SUPERUSER","scope":"global"}}}"#).matches(admin))
        // Nested: (writer role AND NOT superuser) OR locked.
        let nested = try Self.parse(
            #"{"version":4,"expr":{"op":"OR","args":[{"op":"AND","args":[{"fn":"has_role","args":{"name":"app_write"}},{"op":"NOT","args":[{"fn":"is_superuser"}]}]},{"fn":"has_capability","args":{"name":"locked"}}]}}"#)
        #expect(nested.matches(writer) && nested.matches(locked) && !nested.matches(admin) && !nested.matches(granter))
        // GRANT_ADMIN from an admin option; db types.
        #expect(try Self.parse(#"{"version":4,"expr":{"fn":"has_capability","args":{"name":"GRANT_ADMIN"}}}"#).matches(granter))
        #expect(try !Self.parse(#"{"version":4,"expr":{"fn":"db_type_in","args":{"db_types":["mysql"]}}}"#).matches(writer))
        #expect(try Self.parse(#"{"version":4,"expr":{"fn":"db_type_in","args":{"db_types":["MySQL","postgresql"]}}}"#).matches(writer))
    }

    @Test func factsNameCapabilities() {
        let expired = PermissionSnapshot(attributes: ["login": .bool(true), "valid_until": .string("2020-01-01 00:00:00+00")])
        #expect(expired.facts(now: Date()).capabilities == ["LOCKED"])
        let future = PermissionSnapshot(attributes: ["login": .bool(true), "valid_until": .string("2999-01-01 00:00:00+00")])
        #expect(future.facts(now: Date()).capabilities == [])
        let admin = PermissionSnapshot(attributes: ["superuser": .bool(true), "createrole": .bool(true), "login": .bool(true)])
        #expect(admin.facts(now: Date()).capabilities == ["CREATE_ROLE", "GRANT_ADMIN", "SUPERUSER"])
        #expect(admin.facts(now: Date()).privileges["global"]?["*"] == ["CREATEROLE", "LOGIN", "SUPERUSER"])
    }

    @Test func diffsNameGrantsRevokesAltersAndOtherChanges() {
        let before = PermissionSnapshot(
            attributes: ["superuser": .bool(false), "connection_limit": .int(-1), "login": .bool(true)], roles: ["r1": false],
            privileges: ["database": ["shop": ["CONNECT"]]])
        let after = PermissionSnapshot(
            attributes: ["superuser": .bool(true), "connection_limit": .int(5), "login": .bool(true)], roles: ["r2": false],
            privileges: ["database": ["shop": ["CONNECT", "CREATE"]], "table": ["shop.public": ["SELECT"]]])
        let diff = PermissionDiff.diff(from: before, to: after)
        #expect(diff.privileges.map { "\($0.action) \($0.scope) \($0.object) \($0.privileges)" } == [
            "ALTER global SUPERUSER [\"SUPERUSER\"]", "GRANT role * [\"r2\"]", "REVOKE role * [\"r1\"]",
            "GRANT database shop [\"CREATE\"]", "GRANT table shop.public [\"SELECT\"]",
        ])
        #expect(diff.other == [OtherChange(field: "connection_limit", before: .int(-1), after: .int(5))])
        #expect(PermissionDiff.diff(from: after, to: after).privileges.isEmpty)
    }
}
