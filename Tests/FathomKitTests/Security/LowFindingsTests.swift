@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

/// Issue 23, finding 7: the low items, each decided.
@Suite(.timeLimit(.minutes(5))) struct LowFindingsTests {
    @Test(arguments: Backends.all)
    func passwordChangeKeepsTokensAndOneCallRevokesThemAll(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await harness.createUser("pat", role: .operator)
            try await harness.test { client in
                let session = try await client.login("pat", "password-123")
                let first = Auth.bearer(try await client.createToken(session))
                let second = Auth.bearer(try await client.createToken(session))
                let changed = try await client.send(
                    .put, "/api/v1/auth/password", auth: .session(session),
                    json: #"{"currentPassword":"password-123","newPassword":"password-456"}"#)
                #expect(changed.status == .ok)
                // Decided: tokens belong to programs and survive a password change…
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: first).status == .ok)
                // …and one call revokes them all.
                let revoked = try await client.send(.post, "/api/v1/auth/tokens/actions/revoke-all", auth: .session(session))
                #expect(revoked.status == .ok)
                #expect(revoked.json["data"]?["revoked"] == 2)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: first).status == .unauthorized)
                #expect(try await client.send(.get, "/api/v1/auth/me", auth: second).status == .unauthorized)
            }
        }
    }

    @Test(arguments: Backends.all)
    func nulInADatabaseUserPasswordIs400(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await runningInstance(fixture)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let response = try await client.send(
                    .post, "/v1/projects/\(project)/instances/\(instance)/users", auth: admin,
                    json: #"{"name":"app","password":"secret\u0000-and-more"}"#)
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "CONFIG_INVALID_REQUEST")
                #expect(response.json["error"]?["details"]?.arrayFirst?["field"] == "password")
            }
        }
    }

    @Test(arguments: Backends.all)
    func operatorCreatingAProjectIsToldItsEffectiveRole(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await harness.createUser("otto", role: .operator)
            try await harness.test { client in
                let otto = Auth.session(try await client.login("otto", "password-123"))
                let created = try await client.send(.post, "/v1/projects", auth: otto, json: #"{"name":"ottos"}"#)
                #expect(created.status == .created)
                #expect(created.json["project"]?["role"] == "operator")
                let admin = Auth.session(try await client.adminSession())
                let byAdmin = try await client.send(.post, "/v1/projects", auth: admin, json: #"{"name":"admins"}"#)
                #expect(byAdmin.json["project"]?["role"] == "admin")
            }
        }
    }

    /// A client that sends half a request head and then nothing is disconnected after the idle timeout.
    @Test func halfSentRequestHeadIsClosedAfterTheIdleTimeout() async throws {
        try await Harness.with(.sqlite, configure: { $0.idleTimeout = .seconds(1) }) { harness in
            try await buildApplication(services: harness.services).test(.live) { client in
                let port = try #require(client.port)
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port).get()
                // On a loaded machine the server may already have closed the idle connection before this write: that is
                // the behaviour under test too, so a failed write is fine.
                try? await channel.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\n")).get()
                let closed = await waitUntil(timeout: .seconds(5)) { !channel.isActive }
                #expect(closed)
                try? await channel.close()
            }
        }
    }
}
