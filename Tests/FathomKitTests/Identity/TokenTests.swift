import FathomKit
import Foundation
import SQLKit
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct TokenTests {
    @Test(arguments: Backends.all)
    func tokenLifecycleListRevokeAndNoSecretInListing(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let session = try await client.adminSession()
                let created = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .session(session), json: #"{"name":"deploy","expiresInDays":30}"#)
                #expect(created.status == .created)
                let secret = try #require(created.json["data"]?["secret"]?.stringValue)
                let tokenId = try #require(created.json["data"]?["token"]?["tokenId"]?.stringValue)
                #expect(created.json["data"]?["token"]?["expiresAt"]?.stringValue != nil)

                let list = try await client.send(.get, "/api/v1/auth/tokens", auth: .bearer(secret))
                #expect(list.status == .ok)
                #expect(list.json["pagination"]?["total"] == 1)
                #expect(!list.text.contains(secret))
                #expect(list.json["data"]?.arrayFirst?["prefix"]?.stringValue.map { secret.hasPrefix($0) } == true)

                let revoked = try await client.send(.delete, "/api/v1/auth/tokens/\(tokenId)", auth: .session(session))
                #expect(revoked.status == .noContent)
                let after = try await client.send(.get, "/api/v1/auth/me", auth: .bearer(secret))
                #expect(after.status == .unauthorized)
                #expect(after.errorCode == "AUTH_UNAUTHORIZED")
                #expect(try await client.send(.delete, "/api/v1/auth/tokens/tok_nope", auth: .session(session)).status == .notFound)
            }
        }
    }

    /// Tokens are remembered for two seconds: a revocation written by another replica (here, straight into the store)
    /// holds within that time, and a token's expiry is never outlived.
    @Test(arguments: Backends.all)
    func recentTokensHonourOutsideRevocationAndExpiry(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let session = try await client.adminSession()
                let created = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .session(session), json: #"{"name":"ci","expiresInDays":1}"#)
                let secret = try #require(created.json["data"]?["secret"]?.stringValue)
                let tokenId = try #require(created.json["data"]?["token"]?["tokenId"]?.stringValue)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .bearer(secret)).status == .ok)

                try await harness.services.store.write { db in
                    try await db.raw("UPDATE api_tokens SET revoked_at = 1 WHERE id = \(bind: tokenId)").run()
                }
                harness.clock.advance(by: 2.1)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .bearer(secret)).status == .unauthorized)

                let second = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .session(session), json: #"{"name":"short","expiresInDays":1}"#)
                let other = try #require(second.json["data"]?["secret"]?.stringValue)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .bearer(other)).status == .ok)
                harness.clock.advance(by: 86_400 + 1)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .bearer(other)).status == .unauthorized)
            }
        }
    }

    @Test(arguments: Backends.all)
    func roleCeilingCapsTheUserAndCannotExceedIt(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await harness.createUser("oscar", role: .operator)
            try await harness.test { client in
                let admin = try await client.adminSession()
                let viewerToken = try await client.createToken(admin, role: .viewer)
                let me = try await client.send(.get, "/api/v1/auth/me", auth: .bearer(viewerToken))
                #expect(me.json["data"]?["role"] == "viewer")
                #expect(try await client.send(.get, "/api/v1/users", auth: .bearer(viewerToken)).status == .forbidden)
                #expect(try await client.send(.get, "/api/v1/users", auth: .session(admin)).status == .ok)

                let operatorSession = try await client.login("oscar", "password-123")
                let tooHigh = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .session(operatorSession), json: #"{"name":"x","role":"admin"}"#)
                #expect(tooHigh.status == .forbidden)
                // A viewer-ceiling token cannot mint an operator token for its operator user either.
                let capped = try await client.createToken(operatorSession, role: .viewer)
                let escalate = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .bearer(capped), json: #"{"name":"x","role":"operator"}"#)
                #expect(escalate.status == .forbidden)
            }
        }
    }

    @Test(arguments: Backends.all)
    func expiredTokenIsRefused(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let token = try await client.createToken(admin, extra: #","expiresInDays":1"#)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .bearer(token)).status == .ok)
                harness.clock.advance(by: 86_401)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .bearer(token)).status == .unauthorized)
            }
        }
    }

    @Test(arguments: Backends.all)
    func projectBoundTokensCarryTheirProject(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let bad = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .session(admin), json: #"{"name":"x","projectId":"nope"}"#)
                #expect(bad.status == .badRequest)
                let bound = try await client.createToken(admin, extra: #","projectId":"proj-a""#)
                let other = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .bearer(bound), json: #"{"name":"y","projectId":"proj-b"}"#)
                #expect(other.status == .forbidden)
                let same = try await client.send(
                    .post, "/api/v1/auth/tokens", auth: .bearer(bound), json: #"{"name":"y","projectId":"proj-a"}"#)
                #expect(same.status == .created)
                #expect(same.json["data"]?["token"]?["projectId"] == "proj-a")
            }
        }
    }

    @Test(arguments: Backends.all)
    func othersTokensCannotBeRevokedOrListed(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await harness.createUser("vera", role: .viewer)
            try await harness.test { client in
                let admin = try await client.adminSession()
                let created = try await client.send(.post, "/api/v1/auth/tokens", auth: .session(admin), json: #"{"name":"a"}"#)
                let adminTokenId = try #require(created.json["data"]?["token"]?["tokenId"]?.stringValue)
                let vera = try await client.login("vera", "password-123")
                #expect(try await client.send(.delete, "/api/v1/auth/tokens/\(adminTokenId)", auth: .session(vera)).status == .notFound)
                let veraList = try await client.send(.get, "/api/v1/auth/tokens?all=true", auth: .session(vera))
                #expect(veraList.json["pagination"]?["total"] == 0)
                _ = try await client.createToken(vera)
                let adminAll = try await client.send(.get, "/api/v1/auth/tokens?all=true", auth: .session(admin))
                #expect(adminAll.json["pagination"]?["total"] == 2)
            }
        }
    }
}
