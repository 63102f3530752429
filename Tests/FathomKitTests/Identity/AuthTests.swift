import HTTPTypes
import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct AuthTests {
    @Test(arguments: Backends.all)
    func loginSetsSessionCookieAndMeWorksWithCookieAndBearer(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let response = try await client.send(
                    .post, "/api/v1/auth/login", json: #"{"username":"admin","password":"\#(Harness.adminPassword)"}"#)
                #expect(response.status == .ok)
                #expect(response.json["data"]?["userId"] == "u_admin")
                #expect(response.json["data"]?["role"] == "admin")
                #expect(response.json["meta"]?["requestId"]?.stringValue?.isEmpty == false)
                let cookie = try #require(response.headers[.setCookie])
                #expect(cookie.hasPrefix("session="))
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Lax"))
                #expect(!cookie.contains("Secure"))

                let session = try await client.adminSession()
                let me = try await client.send(.get, "/api/v1/auth/me", auth: .session(session))
                #expect(me.status == .ok)
                #expect(me.json["data"]?["username"] == "admin")

                let token = try await client.createToken(session)
                #expect(token.hasPrefix("fth_"))
                let viaToken = try await client.send(.get, "/api/v1/auth/me", auth: .bearer(token))
                #expect(viaToken.status == .ok)
                #expect(viaToken.json["data"]?["userId"] == "u_admin")
            }
        }
    }

    @Test(arguments: Backends.all)
    func wrongPasswordAndUnknownUserGiveTheSameError(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                for body in [#"{"username":"admin","password":"wrong-password"}"#, #"{"username":"ghost","password":"x"}"#] {
                    let response = try await client.send(.post, "/api/v1/auth/login", json: body)
                    #expect(response.status == .unauthorized)
                    #expect(response.errorCode == "AUTH_INVALID_CREDENTIALS")
                    #expect(response.json["error"]?["category"] == "auth")
                    #expect(response.json["error"]?["retryable"] == false)
                    #expect(response.headers[.setCookie] == nil)
                }
                let anonymous = try await client.send(.get, "/api/v1/auth/me")
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.errorCode == "AUTH_UNAUTHORIZED")
            }
        }
    }

    @Test(arguments: Backends.all)
    func secureCookieBehindTLSProxy(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: { $0.trustProxy = true }) { harness in
            try await harness.test { client in
                let response = try await client.send(
                    .post, "/api/v1/auth/login", json: #"{"username":"admin","password":"\#(Harness.adminPassword)"}"#,
                    headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
                #expect(response.headers[.setCookie]?.contains("; Secure") == true)
            }
        }
    }

    @Test(arguments: Backends.all)
    func logoutEndsTheSession(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let session = try await client.adminSession()
                let logout = try await client.send(.post, "/api/v1/auth/logout", auth: .session(session))
                #expect(logout.status == .noContent)
                #expect(logout.headers[.setCookie]?.contains("Max-Age=0") == true)
                let me = try await client.send(.get, "/api/v1/auth/me", auth: .session(session))
                #expect(me.status == .unauthorized)
                #expect(me.errorCode == "AUTH_SESSION_EXPIRED")
            }
        }
    }

    @Test(arguments: Backends.all)
    func csrfIsRequiredForCookieWritesOnlyAndRefusedInTheBody(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let session = try await client.adminSession()
                let body = #"{"name":"ci"}"#
                let missing = try await client.send(.post, "/api/v1/auth/tokens", auth: .sessionWithoutCSRF(session), json: body)
                #expect(missing.status == .forbidden)
                #expect(missing.errorCode == "AUTH_CSRF_INVALID")

                var wrong = session
                wrong.csrf = "not-the-token"
                let mismatched = try await client.send(.post, "/api/v1/auth/tokens", auth: .session(wrong), json: body)
                #expect(mismatched.status == .forbidden)

                // A token in the JSON body is refused even alongside a valid header.
                let inBody = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .session(session), json: #"{"name":"ci","csrf_token":"\#(session.csrf)"}"#)
                #expect(inBody.status == .forbidden)
                #expect(inBody.errorCode == "AUTH_CSRF_INVALID")

                let ok = try await client.send(.post, "/api/v1/auth/tokens", auth: .session(session), json: body)
                #expect(ok.status == .created)

                // Reads need no CSRF token; the token endpoint returns the session's token.
                let csrf = try await client.send(.get, "/api/v1/auth/csrf-token", auth: .sessionWithoutCSRF(session))
                #expect(csrf.json["data"]?["csrfToken"]?.stringValue == session.csrf)

                // Bearer requests need none.
                let token = try #require(ok.json["data"]?["secret"]?.stringValue)
                let bearerWrite = try await client.send(.post, "/api/v1/auth/tokens", auth: .bearer(token), json: body)
                #expect(bearerWrite.status == .created)
            }
        }
    }

    @Test(arguments: Backends.all)
    func passwordChangeRevokesOtherSessionsAndKeepsThisOne(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await harness.createUser("alice", role: .viewer, password: "old-password-1")
            try await harness.test { client in
                let first = try await client.login("alice", "old-password-1")
                let second = try await client.login("alice", "old-password-1")

                let wrongCurrent = try await client.send(
                    .put, "/api/v1/auth/password", auth: .session(first),
                    json: #"{"currentPassword":"nope-nope","newPassword":"new-password-1"}"#)
                #expect(wrongCurrent.status == .unauthorized)
                let tooShort = try await client.send(
                    .put, "/api/v1/auth/password", auth: .session(first),
                    json: #"{"currentPassword":"old-password-1","newPassword":"short"}"#)
                #expect(tooShort.status == .badRequest)
                #expect(tooShort.json["error"]?["details"]?.arrayFirst?["field"] == "newPassword")

                let changed = try await client.send(
                    .put, "/api/v1/auth/password", auth: .session(first),
                    json: #"{"currentPassword":"old-password-1","newPassword":"new-password-1"}"#)
                #expect(changed.status == .ok)
                #expect(changed.json["data"]?["message"] == "Password updated successfully")

                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .session(first)).status == .ok)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .session(second)).status == .unauthorized)
                _ = try await client.login("alice", "new-password-1")
                let old = try await client.send(
                    .post, "/api/v1/auth/login", json: #"{"username":"alice","password":"old-password-1"}"#)
                #expect(old.status == .unauthorized)
            }
        }
    }
}

extension JSONValue {
    var arrayFirst: JSONValue? {
        if case .array(let items) = self { return items.first }
        return nil
    }
    var arrayCount: Int? {
        if case .array(let items) = self { return items.count }
        return nil
    }
    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
