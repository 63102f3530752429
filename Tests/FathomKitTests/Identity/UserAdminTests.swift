import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct UserAdminTests {
    @Test(arguments: Backends.all)
    func createListUpdateAndDuplicate(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let created = try await client.send(
                    .post, "/api/v1/users", auth: .session(admin),
                    json: #"{"username":"Bob.Smith","password":"password-123","role":"operator"}"#)
                #expect(created.status == .created)
                #expect(created.json["data"]?["username"] == "bob.smith")
                #expect(!created.text.contains("password"))
                let userId = try #require(created.json["data"]?["userId"]?.stringValue)

                let duplicate = try await client.send(
                    .post, "/api/v1/users", auth: .session(admin),
                    json: #"{"username":"bob.smith","password":"password-123","role":"viewer"}"#)
                #expect(duplicate.status == .conflict)
                #expect(duplicate.errorCode == "CONFIG_DUPLICATE_NAME")

                let badRole = try await client.send(
                    .post, "/api/v1/users", auth: .session(admin), json: #"{"username":"c","password":"password-123","role":"root"}"#)
                #expect(badRole.status == .badRequest)
                #expect(badRole.json["error"]?["details"]?.arrayFirst?["field"] == "role")

                for index in 0..<25 {
                    _ = try await harness.createUser("user\(index)", role: .viewer)
                }
                let page2 = try await client.send(.get, "/api/v1/users?page=2&pageSize=10", auth: .session(admin))
                #expect(page2.json["pagination"]?["total"] == 27)
                #expect(page2.json["pagination"]?["totalPages"] == 3)
                #expect(page2.json["data"]?.arrayCount == 10)
                let clamped = try await client.send(.get, "/api/v1/users?pageSize=5000&page=abc", auth: .session(admin))
                #expect(clamped.json["pagination"]?["pageSize"] == 100)
                #expect(clamped.json["pagination"]?["page"] == 1)

                let promoted = try await client.send(
                    .patch, "/api/v1/users/\(userId)", auth: .session(admin), json: #"{"role":"admin"}"#)
                #expect(promoted.json["data"]?["role"] == "admin")
                let missing = try await client.send(.patch, "/api/v1/users/u_nobody", auth: .session(admin), json: #"{"role":"admin"}"#)
                #expect(missing.status == .notFound)
                let empty = try await client.send(.patch, "/api/v1/users/\(userId)", auth: .session(admin), json: "{}")
                #expect(empty.status == .badRequest)
                let selfDisable = try await client.send(
                    .patch, "/api/v1/users/u_admin", auth: .session(admin), json: #"{"disabled":true}"#)
                #expect(selfDisable.status == .conflict)
            }
        }
    }

    @Test(arguments: Backends.all)
    func disablingEndsSessionsAndTokensAndBlocksLogin(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let user = try await harness.createUser("dana", role: .operator)
            try await harness.test { client in
                let admin = try await client.adminSession()
                let dana = try await client.login("dana", "password-123")
                let token = try await client.createToken(dana)
                let disabled = try await client.send(
                    .patch, "/api/v1/users/\(user.id)", auth: .session(admin), json: #"{"disabled":true}"#)
                #expect(disabled.json["data"]?["disabled"] == true)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .session(dana)).status == .unauthorized)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .bearer(token)).status == .unauthorized)
                let login = try await client.send(.post, "/api/v1/auth/login", json: #"{"username":"dana","password":"password-123"}"#)
                #expect(login.status == .unauthorized)
                // Re-enabling does not bring the revoked token back.
                _ = try await client.send(.patch, "/api/v1/users/\(user.id)", auth: .session(admin), json: #"{"disabled":false}"#)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .bearer(token)).status == .unauthorized)
                _ = try await client.login("dana", "password-123")
            }
        }
    }

    @Test(arguments: Backends.all)
    func adminPasswordResetEndsSessions(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let user = try await harness.createUser("erin", role: .viewer)
            try await harness.test { client in
                let admin = try await client.adminSession()
                let erin = try await client.login("erin", "password-123")
                let reset = try await client.send(
                    .patch, "/api/v1/users/\(user.id)", auth: .session(admin), json: #"{"password":"fresh-password"}"#)
                #expect(reset.status == .ok)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .session(erin)).status == .unauthorized)
                _ = try await client.login("erin", "fresh-password")
            }
        }
    }

    @Test(arguments: Backends.all)
    func bootstrapAdminOnlyOnce(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let again = try await harness.services.identity.bootstrapAdmin()
            #expect(again.created == false)
            #expect(try await harness.services.identity.users.count() == 1)
        }
    }
}
