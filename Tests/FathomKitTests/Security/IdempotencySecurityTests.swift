@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Issue 23, findings 1 and 2: stored replies are sealed; a replay is authorized like the request and keyed to the
/// credential.
@Suite(.timeLimit(.minutes(5))) struct IdempotencySecurityTests {
    static let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "create-app-user-1"]

    @Test(arguments: Backends.all)
    func generatedPasswordIsNeverStoredInPlainText(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await runningInstance(fixture)
            let password = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let created = try await client.send(
                    .post, "/v1/projects/\(project)/instances/\(instance)/users", auth: admin, json: #"{"name":"app"}"#,
                    headers: Self.key)
                #expect(created.status == .accepted)
                let password = try #require(created.json["user"]?["password"]?.stringValue)
                // The replay still shows it (it was sealed, not dropped).
                let replay = try await client.send(
                    .post, "/v1/projects/\(project)/instances/\(instance)/users", auth: admin, json: #"{"name":"app"}"#,
                    headers: Self.key)
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                #expect(replay.json["user"]?["password"]?.stringValue == password)
                return password
            }
            let bodies = try await harness.services.store.read { db in
                try await db.raw("SELECT body FROM idempotency_keys").all().map { try $0.optionalString("body") ?? "" }
            }
            #expect(bodies.count == 1)
            #expect(bodies.allSatisfy { $0.hasPrefix("v1:") && !$0.contains(password) })
            if backend == .sqlite {
                // Nor anywhere in the SQLite file or its WAL.
                for suffix in ["", "-wal"] {
                    let path = harness.services.configuration.resolvedDatabaseURL + suffix
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                    #expect(bytes.range(of: Data(password.utf8)) == nil, "\(suffix)")
                }
            }
        }
    }

    @Test(arguments: Backends.all)
    func replayAfterRemovalFromTheProjectIs403(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = DBaaSFixture(harness)
            let alice = try await harness.createUser("alice", role: .operator)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "replay")
                _ = try await client.send(.put, "/v1/projects/\(project)/members/\(alice.id)", auth: admin, json: #"{"role":"operator"}"#)
                let session = try await client.login("alice", "password-123")
                let aliceAuth = Auth.session(session)
                let first = try await client.createInstance(aliceAuth, project: project, name: "mine", headers: Self.key)
                #expect(first.status == .accepted)
                let again = try await client.createInstance(aliceAuth, project: project, name: "mine", headers: Self.key)
                #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")

                // Another credential of the same user does not get this credential's stored answer.
                let token = try await client.createToken(session)
                let viaToken = try await client.createInstance(.bearer(token), project: project, name: "mine", headers: Self.key)
                #expect(viaToken.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
                #expect((400..<500).contains(viaToken.status.code))  // run afresh: the name exists already

                // Removed from the project: the replay is refused like the request would be.
                let removed = try await client.send(.delete, "/v1/projects/\(project)/members/\(alice.id)", auth: admin)
                #expect(removed.status.code < 300)
                let replay = try await client.createInstance(aliceAuth, project: project, name: "mine", headers: Self.key)
                #expect(replay.status == .forbidden)
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
                #expect(!replay.text.contains("inst-"))
            }
        }
    }

    @Test(arguments: Backends.all)
    func tokenBoundToAnotherProjectGetsNoReplay(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = DBaaSFixture(harness)
            try await harness.test { client in
                let session = try await client.adminSession()
                let projectA = try await client.createProject(.session(session), name: "team-a")
                let projectB = try await client.createProject(.session(session), name: "team-b")
                let token = try await client.createToken(session, extra: #","projectId":"\#(projectA)""#)
                // The admin's unbound token stores an answer for project B…
                let unbound = try await client.createToken(session)
                #expect(try await client.createInstance(.bearer(unbound), project: projectB, name: "b", headers: Self.key).status == .accepted)
                // …which the same user's A-bound token can neither replay nor run.
                let crossed = try await client.createInstance(.bearer(token), project: projectB, name: "b", headers: Self.key)
                #expect(crossed.status == .forbidden)
            }
        }
    }
}
