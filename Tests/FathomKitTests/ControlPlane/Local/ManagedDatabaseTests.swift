@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A new instance can be used at once: its default database and user, databases made through the API, and users
/// given databases that can create tables in them — on real PostgreSQL servers.
@Suite(.enabled(if: TestPostgres.isAvailable || Backends.requirePostgres, "PostgreSQL server binaries not found"), .timeLimit(.minutes(10)))
struct ManagedDatabaseTests {
    typealias L = LocalProviderTests

    @Test(.timeLimit(.minutes(5)))
    func defaultDatabaseDatabasesAndWorkingUsers() async throws {
        try await L.withLocal(ports: 21080...21099) { fixture, project in
            let (create, body) = try await L.start(
                fixture, .post, "/v1/projects/\(project)/instances", json: #"{"name":"first-hour","engine":"postgresql"}"#)
            let id = try #require(body["instance"]?["id"]?.stringValue)
            #expect(body["default_user"]?["name"] == "app_owner")
            let password = try #require(body["default_user"]?["password"]?.stringValue)
            #expect(try await L.finish(fixture, create) == "SUCCEEDED")

            // The instance view names the connection (never the password).
            let view = try await fixture.harness.test { client in
                try await client.send(.get, "/v1/projects/\(project)/instances/\(id)", auth: .session(try await client.adminSession()))
            }
            let uri = try #require(view.json["instance"]?["endpoints"]?.arrayFirst?["connection_uri"]?.stringValue)
            #expect(uri.hasPrefix("postgresql://app_owner@127.0.0.1:") && uri.hasSuffix("/app"))
            #expect(!view.text.contains(password))

            // The default user works in its database without further grants.
            let instance = try await L.instance(fixture, id)
            let port = try #require(instance.endpoints.first?.port)
            let app = PostgresSession.Target(host: "127.0.0.1", port: port, username: "app_owner", password: password, database: "app")
            #expect(try await L.query(app, "CREATE TABLE notes (id int); INSERT INTO notes VALUES (1); SELECT count(*)::text FROM notes") == ["1"])
            #expect(try await L.query(app, "CREATE SCHEMA private; SELECT 'ok'") == ["ok"])

            // A database through the API, owned by the default user; a user given it can create tables there.
            let (made, _) = try await L.start(
                fixture, .post, "/v1/projects/\(project)/instances/\(id)/databases", json: #"{"name":"reports","owner":"app_owner"}"#)
            #expect(try await L.finish(fixture, made) == "SUCCEEDED")
            let (user, userBody) = try await L.start(
                fixture, .post, "/v1/projects/\(project)/instances/\(id)/users", json: #"{"name":"writer","databases":["reports"]}"#)
            let writerPassword = try #require(userBody["user"]?["password"]?.stringValue)
            #expect(try await L.finish(fixture, user) == "SUCCEEDED")
            let writer = PostgresSession.Target(host: "127.0.0.1", port: port, username: "writer", password: writerPassword, database: "reports")
            #expect(try await L.query(writer, "CREATE TABLE daily (d date); SELECT 'ok'") == ["ok"])
            // …and not in a database it was not given.
            let elsewhere = PostgresSession.Target(host: "127.0.0.1", port: port, username: "writer", password: writerPassword, database: "app")
            await #expect(throws: (any Error).self) { try await L.query(elsewhere, "SELECT 1") }

            try await fixture.harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let list = try await client.send(.get, "/v1/projects/\(project)/instances/\(id)/databases", auth: admin)
                #expect(list.json["databases"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["app", "reports"])
                #expect(list.json["total_count"] == 2)
                let one = try await client.send(.get, "/v1/projects/\(project)/instances/\(id)/databases/reports", auth: admin)
                #expect(one.json["database"]?["owner"] == "app_owner" && one.json["database"]?["state"] == "ACTIVE")
                // Bad input: 4xx, nothing half-made.
                let bad: [(String, Int)] = [
                    (#"{"name":"Bad-Name"}"#, 400), (#"{"name":"postgres"}"#, 400), (#"{"name":"x","owner":"nobody"}"#, 400),
                    (#"{"name":"x","encoding":"EBCDIC"}"#, 400), (#"{"name":"x","locale":"en_US'; DROP"}"#, 400),
                    (#"{"name":"reports"}"#, 409),
                ]
                for (json, status) in bad {
                    let response = try await client.send(.post, "/v1/projects/\(project)/instances/\(id)/databases", auth: admin, json: json)
                    #expect(Int(response.status.code) == status, "\(json) → \(response.status) \(response.text)")
                }
                #expect(try await client.send(.get, "/v1/projects/\(project)/instances/\(id)/databases/nope", auth: admin).status == .notFound)
                // The owner of a database cannot be dropped from under it.
                let users = try await client.send(.get, "/v1/projects/\(project)/instances/\(id)/users", auth: admin)
                let appUser = try #require(users.json["users"]?.arrayValue?.first { $0["name"] == "app_owner" }?["id"]?.stringValue)
                let drop = try await client.send(.delete, "/v1/projects/\(project)/instances/\(id)/users/\(appUser)", auth: admin)
                #expect(drop.status == .conflict)
            }

            let (dropped, _) = try await L.start(fixture, .delete, "/v1/projects/\(project)/instances/\(id)/databases/reports")
            #expect(try await L.finish(fixture, dropped) == "SUCCEEDED")
            let superuser = try L.superuser(fixture, instance)
            #expect(try await L.query(superuser, "SELECT count(*)::text FROM pg_database WHERE datname = 'reports'") == ["0"])
        }
    }
}
