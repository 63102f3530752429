@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The six cache endpoints (cache contract): permissions, CSRF, bodies, and numbers that match what happened.
@Suite(.timeLimit(.minutes(10))) struct CacheAPITests {
    typealias F = AccountsFixture

    static func namespace(_ response: TestResponse, _ name: String) -> JSONValue? { response.json["data"]?["stats"]?["namespaces"]?[name] }

    @Test(arguments: Backends.all)
    func statsMoveExactlyAndClearsEvictWhatTheySay(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let prod = try await F.instance(services, name: "prod-db")
            let other = try await F.instance(services, name: "other-db")
            try await F.record(services, prod, ["bob": F.snapshot(), "carol": F.snapshot(login: false)])
            try await F.record(services, other, ["dave": F.snapshot()])
            let ids = try await services.store.read { db in
                try await db.raw("SELECT account_id, username FROM account_ledger").all().reduce(into: [String: Int64]()) {
                    $0[try $1.string("username")] = try $1.int64("account_id")
                }
            }
            _ = try await harness.createUser("cache-viewer", role: .viewer)
            _ = try await harness.createUser("cache-operator", role: .operator)

            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let viewer = Auth.session(try await client.login("cache-viewer", "password-123"))
                let operatorAuth = Auth.session(try await client.login("cache-operator", "password-123"))
                func stats() async throws -> TestResponse { try await client.send(.get, "/api/v1/cache/stats", auth: viewer) }

                #expect(try await client.send(.get, "/api/v1/cache/stats").status == .unauthorized)
                let empty = try await stats()
                #expect(empty.status == .ok)
                #expect(empty.json["data"]?["stats"]?["status"] == "ok")
                #expect(Self.namespace(empty, "user_permissions")?["hits"] == 0)
                #expect(Self.namespace(empty, "user_permissions")?["misses"] == 0)
                #expect(Self.namespace(empty, "classification_rules") != nil && Self.namespace(empty, "instance") != nil)

                // Permission lookups: miss, then hit, counted exactly.
                let path = "/api/v1/accounts/ledgers/\(ids["bob"]!)/permissions"
                #expect(try await client.send(.get, path, auth: viewer).status == .ok)
                var now = try await stats()
                #expect(Self.namespace(now, "user_permissions")?["misses"] == 1 && Self.namespace(now, "user_permissions")?["hits"] == 0)
                #expect(Self.namespace(now, "user_permissions")?["entries"] == 1)
                #expect(try await client.send(.get, path, auth: viewer).status == .ok)
                #expect(try await client.send(.get, path, auth: viewer).status == .ok)
                now = try await stats()
                #expect(Self.namespace(now, "user_permissions")?["hits"] == 2 && Self.namespace(now, "user_permissions")?["misses"] == 1)
                #expect(Self.namespace(now, "user_permissions")?["hit_ratio"] == .double(0.6667))
                #expect((Self.namespace(now, "user_permissions")?["memory_bytes"]?.intValue ?? 0) > 0)

                // clear-user: validation, 404, permission, CSRF, and the real count.
                let clearUser = "/api/v1/cache/actions/clear-user"
                for body in [#"{}"#, #"{"instance_id":0,"username":"bob"}"#, #"{"instance_id":-3,"username":"bob"}"#,
                             #"{"instance_id":\#(prod),"username":"  "}"#, #"{"instance_id":\#(prod)}"#, #"{"instance_id":"x","username":"bob"}"#,
                             #"{"instance_id":\#(prod),"username":"bob","extra":1}"#] {
                    let response = try await client.send(.post, clearUser, auth: admin, json: body)
                    #expect(response.status == .badRequest, "\(body) → \(response.status)")
                    #expect(response.errorCode == "CONFIG_INVALID_REQUEST")
                }
                #expect(try await client.send(.post, clearUser, auth: admin, json: #"{"instance_id":999999,"username":"bob"}"#).status == .notFound)
                #expect(try await client.send(.post, clearUser, auth: operatorAuth, json: #"{"instance_id":\#(prod),"username":"bob"}"#).status == .forbidden)
                let noCSRF = try await client.send(.post, clearUser, auth: .sessionWithoutCSRF(try await client.adminSession()), json: #"{"instance_id":\#(prod),"username":"bob"}"#)
                #expect(noCSRF.status == .forbidden && noCSRF.errorCode == "AUTH_CSRF_INVALID")
                let inBody = try await client.send(.post, clearUser, auth: admin, json: #"{"instance_id":\#(prod),"username":"bob","csrf_token":"x"}"#)
                #expect(inBody.status == .forbidden)
                let cleared = try await client.send(.post, clearUser, auth: admin, json: #"{"instance_id":\#(prod),"username":"bob"}"#)
                #expect(cleared.status == .ok)
                #expect(cleared.json["data"]?["cleared_count"] == 1)
                #expect(try await client.send(.post, clearUser, auth: admin, json: #"{"instance_id":\#(prod),"username":"bob"}"#).json["data"]?["cleared_count"] == 0)
                #expect(Self.namespace(try await stats(), "user_permissions")?["entries"] == 0)
                // Evicted for real: the next lookup is a miss.
                _ = try await client.send(.get, path, auth: viewer)
                #expect(Self.namespace(try await stats(), "user_permissions")?["misses"] == 2)
                // A bearer token needs no CSRF header.
                let token = try await client.createToken(try await client.adminSession())
                #expect(try await client.send(.post, clearUser, auth: .bearer(token), json: #"{"instance_id":\#(prod),"username":"bob"}"#).json["data"]?["cleared_count"] == 1)

                // clear-instance: that instance's users and its details, nothing else.
                for name in ["bob", "carol", "dave"] { _ = try await client.send(.get, "/api/v1/accounts/ledgers/\(ids[name]!)/permissions", auth: viewer) }
                _ = try await client.send(.get, "/api/v1/accounts/ledgers", auth: viewer)  // caches both instances' details
                now = try await stats()
                #expect(Self.namespace(now, "user_permissions")?["entries"] == 3 && Self.namespace(now, "instance")?["entries"] == 2)
                let clearInstance = "/api/v1/cache/actions/clear-instance"
                #expect(try await client.send(.post, clearInstance, auth: admin, json: #"{}"#).status == .badRequest)
                #expect(try await client.send(.post, clearInstance, auth: admin, json: #"{"instance_id":999999}"#).status == .notFound)
                #expect(try await client.send(.post, clearInstance, auth: operatorAuth, json: #"{"instance_id":\#(prod)}"#).status == .forbidden)
                #expect(try await client.send(.post, clearInstance, auth: admin, json: #"{"instance_id":\#(prod)}"#).json["data"]?["cleared_count"] == 3)
                now = try await stats()
                #expect(Self.namespace(now, "user_permissions")?["entries"] == 1 && Self.namespace(now, "instance")?["entries"] == 1)

                // clear-all: the entries actually removed, and the instances beside it.
                let all = try await client.send(.post, "/api/v1/cache/actions/clear-all", auth: admin)
                #expect(all.status == .ok)
                #expect(all.json["data"]?["cleared_count"] == 2 && all.json["data"]?["instance_count"] == 2)
                #expect(try await client.send(.post, "/api/v1/cache/actions/clear-all", auth: admin).json["data"]?["cleared_count"] == 0)
                #expect(try await client.send(.post, "/api/v1/cache/actions/clear-all", auth: operatorAuth).status == .forbidden)

                // Classification rules: cached per db_type by a run; cleared by `update`; stats for `view`.
                _ = try await client.send(.post, "/api/v1/accounts/classifications/rules", auth: admin,
                    json: #"{"classification_id":1,"db_type":"postgresql","rule_name":"s","rule_expression":{"version":4,"expr":{"fn":"is_superuser"}}}"#)
                _ = try await services.classification.autoClassify()
                let classification = try await client.send(.get, "/api/v1/cache/classification/stats", auth: viewer)
                #expect(classification.status == .ok)
                #expect(classification.json["data"]?["cache_enabled"] == true)
                #expect(classification.json["data"]?["db_type_stats"]?["postgresql"] == ["rules_cached": true, "rules_count": 1])
                #expect(classification.json["data"]?["db_type_stats"]?["mysql"] == ["rules_cached": false, "rules_count": 0])
                #expect(classification.json["data"]?["cache_stats"]?["entries"] == 1)
                let clearClassification = "/api/v1/cache/actions/clear-classification"
                #expect(try await client.send(.post, clearClassification, auth: viewer, json: #"{}"#).status == .forbidden)
                #expect(try await client.send(.post, clearClassification, auth: operatorAuth, json: #"{"db_type":"db2"}"#).status == .badRequest)
                #expect(try await client.send(.post, clearClassification, auth: operatorAuth, json: #"{"db_type":5}"#).status == .badRequest)
                let mysql = try await client.send(.post, clearClassification, auth: operatorAuth, json: #"{"db_type":"MySQL"}"#)
                #expect(mysql.json["data"]?["db_type"] == "mysql" && mysql.json["data"]?["cleared_count"] == 0)
                let postgres = try await client.send(.post, clearClassification, auth: operatorAuth, json: #"{"db_type":"postgresql"}"#)
                #expect(postgres.json["data"]?["cleared_count"] == 1)
                let none = try await client.send(.post, clearClassification, auth: operatorAuth)
                #expect(none.status == .ok && none.json["data"]?["db_type"] == .null)
                #expect(try await client.send(.get, "/api/v1/cache/classification/stats", auth: viewer).json["data"]?["db_type_stats"]?["postgresql"]?["rules_cached"] == false)
            }
        }
    }

    @Test(arguments: Backends.all)
    func writesInvalidateWhatTheyChange(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let services = harness.services
            let prod = try await F.instance(services, name: "prod-db")
            try await F.record(services, prod, ["bob": F.snapshot()])
            let before = try await services.accounts.permissions(instanceId: prod, username: "bob")
            #expect(before?.snapshot.roles == [:])
            // A sync that changes bob drops the cached entry: the next read sees the new grants.
            try await F.record(services, prod, ["bob": F.snapshot(roles: ["admin": true])])
            let after = try await services.accounts.permissions(instanceId: prod, username: "bob")
            #expect(after?.snapshot.roles == ["admin": true])
            #expect(after?.facts.capabilities == ["GRANT_ADMIN"])
            // A rule change drops the cached rules of its db type.
            _ = try await services.classification.compiledRules("postgresql")
            #expect(services.accountCache.rules("postgresql") != nil)
            _ = try await services.classification.createRule(
                .init(classificationId: 1, dbType: "postgresql", ruleName: "r", expression: ["version": 4, "expr": ["fn": "is_superuser"]], isActive: true),
                by: nil)
            #expect(services.accountCache.storage.peek("classification_rules", "postgresql", as: [CompiledRule].self) == nil)
        }
    }
}
