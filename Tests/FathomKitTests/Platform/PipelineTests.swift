import HTTPTypes
import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct PipelineTests {
    @Test(arguments: Backends.all)
    func requestIdIsHonouredOrGenerated(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let given = try await client.send(.get, "/api/v1/auth/me", headers: [HTTPField.Name("X-Request-ID")!: "trace-42"])
                #expect(given.headers[HTTPField.Name("X-Request-ID")!] == "trace-42")
                #expect(given.json["error"]?["request_id"] == "trace-42")
                #expect(given.json["meta"]?["requestId"] == "trace-42")
                let generated = try await client.send(.get, "/healthz")
                #expect(generated.headers[HTTPField.Name("X-Request-ID")!]?.hasPrefix("req_") == true)
                // Unsafe ids (log injection) are replaced.
                let unsafe = try await client.send(.get, "/healthz", headers: [HTTPField.Name("X-Request-ID")!: "a b\"c"])
                #expect(unsafe.headers[HTTPField.Name("X-Request-ID")!]?.hasPrefix("req_") == true)
            }
        }
    }

    @Test(arguments: Backends.all)
    func unknownRoutesAndMethodsAreErrorBodies(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let missing = try await client.send(.get, "/api/v1/nothing-here")
                #expect(missing.status == .notFound)
                #expect(missing.errorCode == "ROUTE_NOT_FOUND")
                let method = try await client.send(.delete, "/api/v1/auth/login")
                #expect(method.status == .methodNotAllowed)
                #expect(method.errorCode == "METHOD_NOT_ALLOWED")
                #expect(method.headers[.allow] == "POST")
            }
        }
    }

    @Test(arguments: Backends.all)
    func badBodiesAreClear4xx(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let login = "/api/v1/auth/login"
                let malformed = try await client.send(.post, login, json: #"{"username": "admin", "#)
                #expect(malformed.status == .badRequest)
                #expect(malformed.json["error"]?["details"]?.arrayFirst?["issue"] == "malformed_json")
                let wrongType = try await client.send(.post, login, json: #"{"username": 5, "password": "x"}"#)
                #expect(wrongType.status == .badRequest)
                #expect(wrongType.json["error"]?["details"]?.arrayFirst?["field"] == "username")
                #expect(wrongType.json["error"]?["details"]?.arrayFirst?["issue"] == "type_mismatch")
                let missingField = try await client.send(.post, login, json: #"{"username": "admin"}"#)
                #expect(missingField.json["error"]?["details"]?.arrayFirst?["field"] == "password")
                #expect(missingField.json["error"]?["details"]?.arrayFirst?["issue"] == "required")
                let unknown = try await client.send(.post, login, json: #"{"username":"a","password":"b","admin":true}"#)
                #expect(unknown.status == .badRequest)
                #expect(unknown.json["error"]?["details"]?.arrayFirst?["issue"] == "unknown_field")
                let array = try await client.send(.post, login, json: "[]")
                #expect(array.status == .badRequest)
                let empty = try await client.send(.post, login, json: "")
                #expect(empty.status == .badRequest)
                let form = try await client.send(
                    .post, login, json: "username=a", headers: [.contentType: "application/x-www-form-urlencoded"])
                #expect(form.status == .unsupportedMediaType)
                #expect(form.errorCode == "UNSUPPORTED_MEDIA_TYPE")
                let huge = #"{"username":""# + String(repeating: "a", count: 1_100_000) + #"","password":"x"}"#
                let tooLarge = try await client.send(.post, login, json: huge)
                #expect(tooLarge.status == .contentTooLarge)
                #expect(tooLarge.errorCode == "PAYLOAD_TOO_LARGE")
            }
        }
    }

    @Test(arguments: Backends.all)
    func unexpectedErrorsAre500WithoutInternals(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            struct LeakyError: Error, CustomStringConvertible {
                var description: String { "connection to db password=hunter2 failed" }
            }
            let (router, _) = buildRouter(services: harness.services)
            router.get("/api/v1/test-only/boom") { _, _ -> Response in throw LeakyError() }
            try await Application(router: router).test(.router) { client in
                let response = try await client.send(.get, "/api/v1/test-only/boom")
                #expect(response.status == .internalServerError)
                #expect(response.errorCode == "INTERNAL_ERROR")
                #expect(!response.text.contains("hunter2"))
                #expect(!response.text.contains("LeakyError"))
            }
        }
    }

    @Test(arguments: Backends.all)
    func metricsCountRequestsByRouteAndStatus(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                _ = try await client.send(.get, "/healthz")
                _ = try await client.send(.get, "/api/v1/auth/me")
                let metrics = try await client.send(.get, "/metrics")
                #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(metrics.text.contains(#"fathom_http_requests_total{method="GET",route="/healthz",status="200"} 1"#))
                #expect(metrics.text.contains(#"fathom_http_requests_total{method="GET",route="/api/v1/auth/me",status="401"} 1"#))
                #expect(metrics.text.contains(#"fathom_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 1"#))
            }
        }
    }

    @Test(arguments: Backends.all)
    func docsAndConsoleAreServed(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let docs = try await client.send(.get, "/api/docs")
                #expect(docs.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(docs.text.contains("/api/v1/auth/login"))
                #expect(docs.text.contains("AUTH_CSRF_INVALID"))
                // The console sends a visitor without a session to its sign-in page.
                let home = try await client.send(.get, "/")
                #expect(home.status == .seeOther && home.headers[.location] == "/login?next=%2F")
                let console = try await client.send(.get, "/login")
                #expect(console.text.contains("/assets/console.js"))
                let script = try await client.send(.get, "/assets/console.js")
                #expect(script.text.contains("X-CSRFToken"))
            }
        }
    }
}
