@testable import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The OpenAPI document lists every status a route answers, each with its body's schema, and types parameters as
/// the server reads them (what scripts/fuzz.sh checks against a live server, asserted here on the document and on
/// the answers that once disagreed with it).
@Suite(.timeLimit(.minutes(5))) struct OpenAPIResponseTests {
    /// Every operation of the document, as (method, path, operation).
    static func operations(_ backend: Store.Backend) async throws -> [(String, String, JSONValue)] {
        try await Harness.with(backend) { harness in
            let (_, table) = buildRouter(services: harness.services)
            let document = OpenAPIDocument.build(routes: table.all, version: "test")
            guard case .object(let paths)? = document["paths"] else { return [] }
            return paths.flatMap { path, item -> [(String, String, JSONValue)] in
                guard case .object(let operations) = item else { return [] }
                return operations.map { ($0.key.uppercased(), path, $0.value) }
            }
        }
    }

    static func statuses(_ operation: JSONValue) -> [String: JSONValue] {
        if case .object(let responses)? = operation["responses"] { return responses }
        return [:]
    }

    @Test func everyListedStatusHasItsBodySchema() async throws {
        let operations = try await Self.operations(.sqlite)
        #expect(operations.count > 100)
        for (method, path, operation) in operations {
            for (status, response) in Self.statuses(operation) where status != "204" && status != "303" {
                guard case .object(let content)? = response["content"], let media = content.first else {
                    Issue.record("\(method) \(path) \(status) has no content")
                    continue
                }
                #expect(media.value["schema"] != nil, "\(method) \(path) \(status) has no schema")
                if status.hasPrefix("4") || status.hasPrefix("5") {
                    #expect(media.key == "application/json", "\(method) \(path) \(status)")
                    #expect(media.value["schema"]?["$ref"] == "#/components/schemas/Error", "\(method) \(path) \(status)")
                }
            }
            // Both surfaces' success bodies: the envelope on /api/v1, an object on /v1.
            if path.hasPrefix("/api/v1/"), let success = Self.statuses(operation).first(where: { $0.key.hasPrefix("2") && $0.key != "204" }) {
                let schema = success.value["content"]?["application/json"]?["schema"]
                    ?? success.value["content"]?["text/csv"]?["schema"]
                #expect(schema != nil, "\(method) \(path)")
                if path.hasSuffix("/exports") == false {
                    #expect(schema?["properties"]?["meta"] != nil, "\(method) \(path) success is not the envelope")
                }
            }
        }
    }

    @Test func authenticationRateLimitsAndBodiesAreListedWhereTheyApply() async throws {
        for (method, path, operation) in try await Self.operations(.sqlite) {
            let statuses = Set(Self.statuses(operation).keys)
            let isPublic = operation["security"] == .array([])
            let api = path.hasPrefix("/api/v1/") || path.hasPrefix("/v1/")
            if !isPublic {
                #expect(statuses.isSuperset(of: ["401", "403"]), "\(method) \(path) lacks 401/403")
            }
            if api {
                #expect(statuses.isSuperset(of: ["400", "429", "503"]), "\(method) \(path) lacks 400/429/503")
                #expect(Self.statuses(operation)["429"]?["headers"]?["Retry-After"] != nil, "\(method) \(path)")
            }
            if operation["requestBody"] != nil {
                #expect(statuses.isSuperset(of: ["400", "413", "415"]), "\(method) \(path) lacks body errors")
            }
            if path.contains("{") { #expect(statuses.contains("404"), "\(method) \(path) lacks 404") }
        }
    }

    @Test func theStatusesTheFirstFuzzFoundUnlistedAreListed() async throws {
        let operations = try await Self.operations(.sqlite)
        func statuses(_ method: String, _ path: String) -> Set<String> {
            Set(operations.first { $0.0 == method && $0.1 == path }.map { Self.statuses($0.2).keys } ?? [:].keys)
        }
        #expect(statuses("POST", "/api/v1/auth/login").isSuperset(of: ["200", "400", "401", "429"]))
        #expect(statuses("GET", "/api/v1/auth/csrf-token").isSuperset(of: ["200", "400", "401"]))
        #expect(statuses("POST", "/api/v1/sources/{source_id}/runs").isSuperset(of: ["200", "201"]))
        #expect(statuses("POST", "/v1/projects").isSuperset(of: ["201", "406", "409", "422"]))
        #expect(statuses("GET", "/").isSuperset(of: ["200", "303"]))
    }

    @Test func parametersAreTypedAsTheServerReadsThem() async throws {
        let operations = try await Self.operations(.sqlite)
        var pagingParameters = 0
        for (method, path, operation) in operations {
            guard case .array(let parameters)? = operation["parameters"] else { continue }
            for parameter in parameters where parameter["in"] == "query" {
                #expect(parameter["allowEmptyValue"] == true, "\(method) \(path) \(parameter["name"] ?? .null)")
                let name = parameter["name"]?.stringValue ?? ""
                if OpenAPIParameters.pagingNames.contains(name) {
                    pagingParameters += 1
                    // `page=null` falls back to the default, so text is a valid value.
                    #expect(parameter["schema"] == Schemas.fallbackInteger, "\(method) \(path) \(name)")
                }
            }
        }
        #expect(pagingParameters > 20)
        // A null optional body field is the field left out.
        let aggregation = operations.first { $0.0 == "POST" && $0.1 == "/api/v1/capacity/aggregations/current" }?.2
        let periodType = aggregation?["requestBody"]?["content"]?["application/json"]?["schema"]?["properties"]?["period_type"]
        #expect(periodType?["enum"].map { if case .array(let values) = $0 { values.contains(.null) } else { false } } == true)
        // Case-insensitive choices with an empty value meaning "all".
        let pattern = Schemas.lenientEnumeration(["mysql", "postgresql"])["anyOf"]?.arrayValue?.last?["pattern"]?.stringValue ?? ""
        for accepted in ["mysql", "PostgreSQL", " MySQL ", ""] {
            #expect(accepted.range(of: pattern, options: .regularExpression) != nil, "\(accepted)")
        }
        #expect("oracle".range(of: pattern, options: .regularExpression) == nil)
    }

    @Test(arguments: Backends.all)
    func answersTheFuzzOnceQuestionedConformToTheDocument(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let session = try await client.adminSession()
                let token = try await client.createToken(session)
                // Documented: paging falls back, login failures are 401, a bearer token asks for no CSRF token (400).
                let paged = try await client.send(.get, "/api/v1/users?page=null&pageSize=null", auth: .bearer(token))
                #expect(paged.status == .ok)
                #expect(paged.json["pagination"]?["page"] == 1)
                let login = try await client.send(.post, "/api/v1/auth/login", json: #"{"username":"admin","password":"wrong-password"}"#)
                #expect(login.status == .unauthorized)
                let csrf = try await client.send(.get, "/api/v1/auth/csrf-token", auth: .bearer(token))
                #expect(csrf.status == .badRequest)
                #expect(try await client.send(.get, "/api/v1/auth/csrf-token", auth: .session(session)).json["data"]?["csrfToken"] == .string(session.csrf))

                // Fixed: `all` is a boolean (was: any value but "true" read as false).
                let all = try await client.send(.get, "/api/v1/auth/tokens?all=-58800", auth: .bearer(token))
                #expect(all.status == .badRequest)
                #expect(all.json["error"]?["details"]?.arrayFirst?["field"] == "all")
                #expect(try await client.send(.get, "/api/v1/auth/tokens?all=TRUE", auth: .bearer(token)).status == .ok)

                // Fixed: unknown quota keys are refused like unknown top-level fields (were ignored).
                let project = try await client.createProject(.bearer(token), name: "quotas")
                let quotas = try await client.send(.patch, "/v1/projects/\(project)", auth: .bearer(token), json: #"{"quotas": {"": null}}"#)
                #expect(quotas.status == .badRequest)
                #expect(quotas.json["error"]?["details"]?.arrayFirst?["issue"] == "unknown_field")
                let known = try await client.send(.patch, "/v1/projects/\(project)", auth: .bearer(token), json: #"{"quotas": {"instances": 3}}"#)
                #expect(known.status == .ok)

                // Documented now: a source's config may be left out (the long fuzz run's one finding).
                let source = try await client.send(.post, "/api/v1/sources", auth: .bearer(token), json: #"{"name": "own", "sourceType": "fathom"}"#)
                #expect(source.status == .created)
                let (_, table) = buildRouter(services: harness.services)
                let create = table.all.first { $0.method == .post && $0.path == "/api/v1/sources" }
                #expect(create?.requestBody?["required"] == ["name", "sourceType"])
            }
        }
    }
}
