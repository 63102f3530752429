import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct OpenAPITests {
    /// Fills `{param}` segments with a placeholder value.
    static func concrete(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") ? "x_placeholder" : String(segment)
        }.joined(separator: "/")
    }

    @Test(arguments: Backends.all)
    func documentAndRouterDescribeTheSameRoutes(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let (_, table) = buildRouter(services: harness.services)
            let registered = Set(table.all.map { "\($0.method.rawValue) \($0.path)" })
            try await harness.test { client in
                let response = try await client.send(.get, "/api/openapi.json")
                #expect(response.status == .ok)
                let document = response.json
                #expect(document["openapi"] == "3.1.0")
                guard case .object(let paths) = document["paths"] else {
                    Issue.record("no paths")
                    return
                }
                var documented = Set<String>()
                for (path, item) in paths {
                    guard case .object(let operations) = item else { continue }
                    for (method, operation) in operations {
                        documented.insert("\(method.uppercased()) \(path)")
                        #expect(operation["responses"] != nil, "\(method) \(path) has no responses")
                        #expect(operation["summary"]?.stringValue?.isEmpty == false)
                    }
                }
                #expect(documented == registered, "document and router differ")
                // Bodies that may be left out are documented as optional.
                #expect(paths["/api/v1/auth/login"]?["post"]?["requestBody"]?["required"] == true)
                #expect(paths["/api/v1/capacity/aggregations/current"]?["post"]?["requestBody"]?["required"] == false)

                // Every registered route is actually served: never the router's own 404 or 405.
                let admin = try await client.adminSession()
                for spec in table.all where spec.path != "/api/v1/auth/logout" {
                    let answer = try await client.send(
                        spec.method, Self.concrete(spec.path), auth: .session(admin), json: spec.requestBody == nil ? nil : "{}")
                    #expect(answer.errorCode != "ROUTE_NOT_FOUND" && answer.status != .methodNotAllowed, "\(spec.method) \(spec.path)")
                }
            }
        }
    }

    @Test func errorRegistryHoldsEveryContractCodeOnce() {
        let names = ErrorCode.registry.map(\.name)
        #expect(Set(names).count == names.count)
        let contractCodes = [
            "AUTH_UNAUTHORIZED", "AUTH_INVALID_CREDENTIALS", "AUTH_SESSION_EXPIRED", "AUTH_FORBIDDEN",
            "CONFIG_INVALID_REQUEST", "CONFIG_RESOURCE_CONFLICT", "CONFIG_DUPLICATE_NAME", "CONFIG_SOURCE_NOT_FOUND",
            "CONFIG_SCHEDULE_GROUP_NOT_FOUND", "CONFIG_RUN_NOT_FOUND", "CONFIG_ASSET_NOT_FOUND", "PLUGIN_TIMEOUT",
            "PLUGIN_OUTPUT_INVALID_JSON", "DB_WRITE_FAILED", "DATABASE_CONNECTION_ERROR", "SYNC_DATA_ERROR",
            "QUOTA_EXCEEDED", "INTERNAL_ERROR",
        ]
        for code in contractCodes {
            #expect(ErrorCode.named(code) != nil, "\(code) missing from the registry")
        }
        #expect(ErrorCode.named("AUTH_UNAUTHORIZED")?.status.code == 401)
        #expect(ErrorCode.named("AUTH_FORBIDDEN")?.category == "permission")
        #expect(ErrorCode.named("DATABASE_CONNECTION_ERROR")?.status.code == 409)
        #expect(ErrorCode.named("CONFIG_INVALID_REQUEST")?.status.code == 400)
        #expect(ErrorCode.registry.allSatisfy { $0.status.code >= 400 })
    }
}
