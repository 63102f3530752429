@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 23, finding 4: throttling per (username, address) with growing delays; nobody can lock a user out from
/// elsewhere; admins and the command line can clear it.
@Suite(.timeLimit(.minutes(5))) struct LoginThrottleTests {
    static func from(_ address: String) -> HTTPFields { [HTTPField.Name("X-Forwarded-For")!: address] }

    static func attempt(_ client: some TestClientProtocol, _ username: String, _ password: String, from address: String) async throws
        -> TestResponse
    {
        try await client.send(
            .post, "/api/v1/auth/login", json: #"{"username":"\#(username)","password":"\#(password)"}"#, headers: from(address))
    }

    @Test(arguments: Backends.all)
    func failuresFromOneAddressNeverLockOutAnother(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: { $0.trustProxy = true }) { harness in
            try await harness.test { client in
                // An attacker hammers `Admin ` (any case or padding counts as `admin`) from one address.
                var retryAfter: [Int] = []
                for _ in 0..<12 {
                    let response = try await Self.attempt(client, " Admin ", "wrong-password", from: "203.0.113.9")
                    if response.status == .tooManyRequests {
                        retryAfter.append(Int(response.headers[.retryAfter] ?? "") ?? 0)
                        harness.clock.advance(by: TimeInterval(retryAfter.last! + 1))
                    } else {
                        #expect(response.status == .unauthorized)
                    }
                }
                // Blocked there, with delays that grow.
                #expect(retryAfter.count >= 2)
                #expect(retryAfter == retryAfter.sorted() && retryAfter.last! > retryAfter.first!)
                // One more failure there (or a 429 if the last one already set a block) leaves the pair blocked.
                _ = try await Self.attempt(client, "admin", "wrong-password", from: "203.0.113.9")
                let stillBlocked = try await Self.attempt(client, "admin", "wrong-password", from: "203.0.113.9")
                #expect(stillBlocked.status == .tooManyRequests)
                #expect(stillBlocked.errorCode == "AUTH_LOGIN_THROTTLED")
                // The real admin, from their own address, signs in at once.
                let admin = try await Self.attempt(client, "admin", Harness.adminPassword, from: "198.51.100.7")
                #expect(admin.status == .ok)
                // Even the right password is refused from the blocked address until an admin unlocks the name.
                #expect(try await Self.attempt(client, "admin", Harness.adminPassword, from: "203.0.113.9").status == .tooManyRequests)
                let session = try await client.login("admin", Harness.adminPassword, headers: Self.from("198.51.100.7"))
                let unlocked = try await client.send(.post, "/api/v1/users/u_admin/actions/unlock", auth: .session(session))
                #expect(unlocked.status == .ok)
                #expect(try await Self.attempt(client, "admin", Harness.adminPassword, from: "203.0.113.9").status == .ok)
            }
        }
    }

    @Test(arguments: Backends.all)
    func oneAddressHasABudgetAcrossUsernames(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: { $0.trustProxy = true; $0.loginFailuresPerAddress = 6 }) { harness in
            try await harness.test { client in
                for index in 0..<6 {
                    #expect(try await Self.attempt(client, "user\(index)", "wrong-password", from: "203.0.113.9").status == .unauthorized)
                }
                let throttled = try await Self.attempt(client, "admin", Harness.adminPassword, from: "203.0.113.9")
                #expect(throttled.status == .tooManyRequests)
                #expect(throttled.headers[.retryAfter] != nil)
                #expect(try await Self.attempt(client, "admin", Harness.adminPassword, from: "198.51.100.7").status == .ok)
            }
        }
    }

    @Test func unlockNeedsAdminAndAKnownUser() async throws {
        try await Harness.with(.sqlite) { harness in
            _ = try await harness.createUser("olga", role: .operator)
            try await harness.test { client in
                let olga = Auth.session(try await client.login("olga", "password-123"))
                #expect(try await client.send(.post, "/api/v1/users/u_admin/actions/unlock", auth: olga).status == .forbidden)
                let admin = Auth.session(try await client.adminSession())
                #expect(try await client.send(.post, "/api/v1/users/u_nobody/actions/unlock", auth: admin).status == .notFound)
            }
        }
    }

    @Test func delaysGrowAndAreCapped() {
        #expect(Identity.loginDelay(failures: 4, free: 5, maximum: 900_000) == 0)
        #expect(Identity.loginDelay(failures: 5, free: 5, maximum: 900_000) == 1_000)
        #expect(Identity.loginDelay(failures: 7, free: 5, maximum: 900_000) == 4_000)
        #expect(Identity.loginDelay(failures: 60, free: 5, maximum: 900_000) == 900_000)
    }
}
