import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct SessionAndThrottleTests {
    @Test(arguments: Backends.all)
    func idleAndAbsoluteExpiry(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: {
            $0.sessionIdleTimeout = 600
            $0.sessionAbsoluteTimeout = 3600
        }) { harness in
            try await harness.test { client in
                // Idle: activity keeps the session alive; 10 minutes of silence ends it.
                let idle = try await client.adminSession()
                for _ in 0..<3 {
                    harness.clock.advance(by: 300)
                    #expect(try await client.send(.get, "/api/v1/auth/me", auth: .session(idle)).status == .ok)
                }
                harness.clock.advance(by: 601)
                let expired = try await client.send(.get, "/api/v1/auth/me", auth: .session(idle))
                #expect(expired.status == .unauthorized)
                #expect(expired.errorCode == "AUTH_SESSION_EXPIRED")

                // Absolute: even an active session ends after an hour.
                let active = try await client.adminSession()
                for _ in 0..<11 {
                    harness.clock.advance(by: 300)
                    #expect(try await client.send(.get, "/api/v1/auth/me", auth: .session(active)).status == .ok)
                }
                harness.clock.advance(by: 301)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: .session(active)).status == .unauthorized)
            }
        }
    }

    @Test(arguments: Backends.all)
    func loginThrottledPerUsernameWithRetryAfter(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                for _ in 0..<5 {
                    let failed = try await client.send(
                        .post, "/api/v1/auth/login", json: #"{"username":"admin","password":"wrong-password"}"#)
                    #expect(failed.status == .unauthorized)
                }
                // Even the right password is refused while throttled.
                let throttled = try await client.send(
                    .post, "/api/v1/auth/login", json: #"{"username":"admin","password":"\#(Harness.adminPassword)"}"#)
                #expect(throttled.status == .tooManyRequests)
                #expect(throttled.errorCode == "AUTH_LOGIN_THROTTLED")
                let retryAfter = try #require(throttled.headers[.retryAfter].flatMap { Int($0) })
                #expect(retryAfter > 0 && retryAfter <= 900)

                harness.clock.advance(by: TimeInterval(retryAfter + 1))
                _ = try await client.adminSession()
            }
        }
    }

    @Test(arguments: Backends.all)
    func loginThrottledPerAddressAcrossUsernames(_ backend: Store.Backend) async throws {
        try await Harness.with(backend, configure: { $0.loginFailuresPerAddress = 4 }) { harness in
            try await harness.test { client in
                for index in 0..<4 {
                    let failed = try await client.send(
                        .post, "/api/v1/auth/login", json: #"{"username":"user\#(index)","password":"wrong-password"}"#)
                    #expect(failed.status == .unauthorized)
                }
                let throttled = try await client.send(
                    .post, "/api/v1/auth/login", json: #"{"username":"admin","password":"\#(Harness.adminPassword)"}"#)
                #expect(throttled.status == .tooManyRequests)
                #expect(throttled.headers[.retryAfter] != nil)
            }
        }
    }

    @Test(arguments: Backends.all)
    func successfulLoginResetsTheUsernameCounter(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                for _ in 0..<3 {
                    for _ in 0..<4 {
                        _ = try await client.send(
                            .post, "/api/v1/auth/login", json: #"{"username":"admin","password":"wrong-password"}"#)
                    }
                    _ = try await client.adminSession()
                }
            }
        }
    }
}
