@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Taking access away takes effect on the very next request on the replica that made the change, and on another
/// replica (a second AppServices over the same PostgreSQL store) at once for sessions and memberships, and within
/// `RecentLookups<TokenStore.Lookup>.lifetime` (2 s, as documented there) for bearer tokens, which a replica remembers that long.
@Suite(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL for two replicas"), .timeLimit(.minutes(5)))
struct RevocationTests {
    typealias Client = any TestClientProtocol

    /// Replica A (the harness) and replica B over one PostgreSQL database, sharing the hand-moved clock.
    static func withReplicas(_ body: @escaping @Sendable (Harness, Client, Client) async throws -> Void) async throws {
        try await Harness.with(.postgres) { harness in
            var logger = Logger(label: "replica-b")
            logger.logLevel = .critical
            let b = try await AppServices.open(configuration: harness.services.configuration, clock: harness.clock.wallClock, logger: logger)
            do {
                try await harness.test { a in
                    try await buildApplication(services: b).test(.router) { replicaB in try await body(harness, a, replicaB) }
                }
                await b.store.close()
            } catch {
                await b.store.close()
                throw error
            }
        }
    }

    static func status(_ client: Client, _ path: String, _ auth: Auth) async throws -> Int {
        Int(try await client.send(.get, path, auth: auth).status.code)
    }

    /// After the change, the token is refused by B once its remembered lookup is older than the bound.
    static func tokenRefusedOnBWithinBound(_ harness: Harness, _ b: Client, _ path: String, _ token: String, _ refused: Int) async throws {
        harness.clock.advance(by: Double(RecentLookups<TokenStore.Lookup>.lifetime) / 1000 + 0.1)
        #expect(try await status(b, path, .bearer(token)) == refused, "replica B still honours the token after the bound")
    }

    @Test func disablingAUserEndsItsSessionsAndTokensEverywhere() async throws {
        try await Self.withReplicas { harness, a, b in
            let user = try await harness.createUser("rev-disabled", role: .operator)
            let session = try await a.login("rev-disabled", "password-123")
            let token = try await a.createToken(session)
            // Both replicas have seen (and B remembers) the token.
            #expect(try await Self.status(a, "/api/v1/auth/me", .bearer(token)) == 200)
            #expect(try await Self.status(b, "/api/v1/auth/me", .bearer(token)) == 200)
            let admin = Auth.session(try await a.adminSession())
            #expect(try await a.send(.patch, "/api/v1/users/\(user.id)", auth: admin, json: #"{"disabled":true}"#).status == .ok)
            #expect(try await Self.status(a, "/api/v1/auth/me", .session(session)) == 401)
            #expect(try await Self.status(a, "/api/v1/auth/me", .bearer(token)) == 401)
            #expect(try await Self.status(b, "/api/v1/auth/me", .session(session)) == 401)
            try await Self.tokenRefusedOnBWithinBound(harness, b, "/api/v1/auth/me", token, 401)
            await #expect(throws: (any Error).self) { try await a.login("rev-disabled", "password-123") }
        }
    }

    @Test func demotingAUserLowersItsSessionsAndTokensEverywhere() async throws {
        try await Self.withReplicas { harness, a, b in
            let user = try await harness.createUser("rev-demoted", role: .admin)
            let session = try await a.login("rev-demoted", "password-123")
            let token = try await a.createToken(session)
            #expect(try await Self.status(a, "/api/v1/users", .bearer(token)) == 200)
            #expect(try await Self.status(b, "/api/v1/users", .bearer(token)) == 200)
            let admin = Auth.session(try await a.adminSession())
            #expect(try await a.send(.patch, "/api/v1/users/\(user.id)", auth: admin, json: #"{"role":"viewer"}"#).status == .ok)
            #expect(try await Self.status(a, "/api/v1/users", .session(session)) == 403)
            #expect(try await Self.status(a, "/api/v1/users", .bearer(token)) == 403)
            #expect(try await Self.status(b, "/api/v1/users", .session(session)) == 403)
            try await Self.tokenRefusedOnBWithinBound(harness, b, "/api/v1/users", token, 403)
            // Still a viewer: reading what a viewer may read works.
            #expect(try await Self.status(a, "/api/v1/task-runs", .bearer(token)) == 200)
        }
    }

    @Test func removingAProjectMemberClosesTheProjectEverywhere() async throws {
        try await Self.withReplicas { harness, a, b in
            let user = try await harness.createUser("rev-member", role: .operator)
            let admin = Auth.session(try await a.adminSession())
            let project = try await a.createProject(admin, name: "rev-project")
            #expect(try await a.send(.put, "/v1/projects/\(project)/members/\(user.id)", auth: admin, json: #"{"role":"operator"}"#).status.code < 300)
            let session = try await a.login("rev-member", "password-123")
            let token = try await a.createToken(session, extra: #","projectId":"\#(project)""#)
            let path = "/v1/projects/\(project)/instances"
            for auth in [Auth.session(session), .bearer(token)] {
                #expect(try await Self.status(a, path, auth) == 200)
                #expect(try await Self.status(b, path, auth) == 200)
            }
            #expect(try await a.send(.delete, "/v1/projects/\(project)/members/\(user.id)", auth: admin).status.code < 300)
            // Membership is read on every request: no bound, on either replica.
            for auth in [Auth.session(session), .bearer(token)] {
                #expect(try await Self.status(a, path, auth) == 403)
                #expect(try await Self.status(b, path, auth) == 403)
            }
        }
    }

    @Test func revokingATokenRefusesItEverywhere() async throws {
        try await Self.withReplicas { harness, a, b in
            _ = try await harness.createUser("rev-token", role: .viewer)
            let session = try await a.login("rev-token", "password-123")
            let token = try await a.createToken(session)
            #expect(try await Self.status(a, "/api/v1/auth/me", .bearer(token)) == 200)
            #expect(try await Self.status(b, "/api/v1/auth/me", .bearer(token)) == 200)
            let listed = try await a.send(.get, "/api/v1/auth/tokens", auth: .session(session))
            let id = try #require(Self.firstId(listed.json["data"]), "\(listed.text)")
            #expect(try await a.send(.delete, "/api/v1/auth/tokens/\(id)", auth: .session(session)).status.code < 300)
            #expect(try await Self.status(a, "/api/v1/auth/me", .bearer(token)) == 401)
            try await Self.tokenRefusedOnBWithinBound(harness, b, "/api/v1/auth/me", token, 401)
        }
    }

    @Test func changingThePasswordEndsTheOtherSessionsEverywhere() async throws {
        try await Self.withReplicas { harness, a, b in
            _ = try await harness.createUser("rev-password", role: .viewer)
            let current = try await a.login("rev-password", "password-123")
            let other = try await b.login("rev-password", "password-123")
            #expect(try await Self.status(b, "/api/v1/auth/me", .session(other)) == 200)
            let changed = try await a.send(.put, "/api/v1/auth/password", auth: .session(current),
                json: #"{"currentPassword":"password-123","newPassword":"password-456"}"#)
            #expect(changed.status.code < 300, "\(changed.text)")
            #expect(try await Self.status(a, "/api/v1/auth/me", .session(current)) == 200)
            #expect(try await Self.status(a, "/api/v1/auth/me", .session(other)) == 401)
            // B remembered the session it served; it refuses it once that is older than the bound.
            harness.clock.advance(by: Double(RecentLookups<SessionStore.Lookup>.lifetime) / 1000 + 0.1)
            #expect(try await Self.status(b, "/api/v1/auth/me", .session(other)) == 401)
            await #expect(throws: (any Error).self) { try await b.login("rev-password", "password-123") }
            _ = try await b.login("rev-password", "password-456")
        }
    }

    /// The id (`tokenId`) of the first item of a token list (`data` as a list or as `{items: […]}`).
    static func firstId(_ data: JSONValue?) -> String? {
        if case .array(let items)? = data { return (items.first?["tokenId"] ?? items.first?["id"])?.stringValue }
        if case .array(let items)? = data?["items"] { return (items.first?["tokenId"] ?? items.first?["id"])?.stringValue }
        return nil
    }
}
