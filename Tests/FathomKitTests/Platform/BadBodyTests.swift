import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every route that takes a JSON body refuses bad bodies with a clear 4xx and the error body.
@Suite(.timeLimit(.minutes(5))) struct BadBodyTests {
    @Test(arguments: Backends.all)
    func everyBodyRouteRefusesBadBodies(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let (_, table) = buildRouter(services: harness.services)
            let bodyRoutes = table.all.filter { $0.requestBody != nil }
            #expect(bodyRoutes.count >= 6)
            try await harness.test { client in
                let token = try await client.createToken(try await client.adminSession())
                // A real project, so that project-scoped routes reach their body; other ids stay placeholders.
                let project = try await client.createProject(.bearer(token), name: "bodies")
                let cases: [(String, String, Int, String?)] = [
                    ("malformed", #"{"a": "#, 400, "CONFIG_INVALID_REQUEST"),
                    ("not an object", "[1, 2]", 400, "CONFIG_INVALID_REQUEST"),
                    ("unknown field", #"{"zz_unknown_field": 1}"#, 400, "CONFIG_INVALID_REQUEST"),
                    ("oversized", #"{"x":""# + String(repeating: "y", count: (1 << 20) + 10) + #""}"#, 413, "PAYLOAD_TOO_LARGE"),
                    ("csrf_token in body", #"{"csrf_token":"x"}"#, 403, "AUTH_CSRF_INVALID"),
                ]
                for spec in bodyRoutes {
                    let path = OpenAPITests.concrete(spec.path.replacingOccurrences(of: "{project_id}", with: project))
                    for (label, body, status, code) in cases {
                        let response = try await client.send(spec.method, path, auth: .bearer(token), json: body)
                        #expect(Int(response.status.code) == status, "\(spec.method) \(spec.path) \(label): \(response.status.code)")
                        #expect(response.errorCode == code, "\(spec.method) \(spec.path) \(label)")
                    }
                    let wrongType = try await client.send(
                        spec.method, path, auth: .bearer(token), json: "x=1", headers: [.contentType: "text/plain"])
                    #expect(wrongType.status == .unsupportedMediaType, "\(spec.method) \(spec.path)")
                }
                // Wrong value types name the field.
                let typed = try await client.send(.post, "/api/v1/users", auth: .bearer(token),
                    json: #"{"username":"a","password":"password-1","role":7}"#)
                #expect(typed.json["error"]?["details"]?.arrayFirst?["field"] == "role")
                #expect(typed.json["error"]?["details"]?.arrayFirst?["issue"] == "type_mismatch")
            }
        }
    }
}
