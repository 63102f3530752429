@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Creates a project and a RUNNING scripted instance; returns (project, instance).
func runningInstance(_ fixture: DBaaSFixture, name: String = "db") async throws -> (String, String) {
    let (project, instance, operation) = try await fixture.harness.test { client in
        let admin = Auth.session(try await client.adminSession())
        let project = try await client.createProject(admin, name: "p-\(name)")
        let created = try await client.createInstance(admin, project: project, name: name)
        return (project, created.json["instance"]!["id"]!.stringValue!, created.json["operation"]!["id"]!.stringValue!)
    }
    guard try await fixture.runJobs(until: { try await fixture.operationState(operation) == "SUCCEEDED" }) else {
        throw HarnessError("instance did not become RUNNING")
    }
    return (project, instance)
}

@Suite(.timeLimit(.minutes(5))) struct OperationTests {
    @Test(arguments: Backends.all)
    func cancellingPendingAndRunningOperations(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            // A create that never started: cancelled at once, and no instance remains.
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "cancel-pending")
                let created = try await client.createInstance(admin, project: project, name: "short-lived")
                let operation = try #require(created.json["operation"]?["id"]?.stringValue)
                let cancelled = try await client.send(.post, "/v1/projects/\(project)/operations/\(operation)/cancel", auth: admin)
                #expect(cancelled.status == .ok)
                #expect(cancelled.json["operation"]?["state"] == "CANCELLED")
                let list = try await client.send(.get, "/v1/projects/\(project)/instances", auth: admin)
                #expect(list.json["total_count"] == 0)
                let again = try await client.send(.post, "/v1/projects/\(project)/operations/\(operation)/cancel", auth: admin)
                #expect(again.status == .conflict)
                // The name is free again.
                #expect(try await client.createInstance(admin, project: project, name: "short-lived").status == .accepted)
            }

            // A running restart: the handler is stopped and the instance goes back to RUNNING.
            let (project, instance) = try await runningInstance(fixture, name: "busy")
            fixture.provider.hold("restart")
            let runner = fastRunner(harness.services)
            let loops = runner.start()
            let operation = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let restart = try await client.send(.post, "/v1/projects/\(project)/instances/\(instance)/restart", auth: admin)
                return restart.json["operation"]!["id"]!.stringValue!
            }
            #expect(try await waitUntil { try await fixture.operationState(operation) == "RUNNING" })
            try await buildApplication(services: harness.services).test(.router) { client in
                let admin = Auth.session(try await client.adminSession())
                let response = try await client.send(.post, "/v1/projects/\(project)/operations/\(operation)/cancel", auth: admin)
                #expect(response.status == .ok)
            }
            #expect(try await waitUntil { try await fixture.operationState(operation) == "CANCELLED" })
            await runner.stop(loops)
            #expect(try await fixture.instanceState(instance) == "RUNNING")
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let op = try await client.send(.get, "/v1/projects/\(project)/operations/\(operation)", auth: admin)
                #expect(op.json["operation"]?["error"]?["code"] == "JOB_CANCELLED")
                let filtered = try await client.send(
                    .get, "/v1/projects/\(project)/operations?filter=" + "type=RESTART_INSTANCE AND state=CANCELLED".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                    auth: admin)
                #expect(filtered.json["total_count"] == 1)
                let byInstance = try await client.send(.get, "/v1/projects/\(project)/operations?filter=instance_id%3D\(instance)", auth: admin)
                #expect(byInstance.json["total_count"] == 2)
                #expect(try await client.send(.get, "/v1/projects/\(project)/operations?filter=state%3DDONE", auth: admin).status == .badRequest)
            }
        }
    }

    @Test(arguments: Backends.all)
    func operationOfADeadWorkerEndsFailedAndFreesTheInstance(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await runningInstance(fixture, name: "orphan")
            let operation = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                return try await client.send(.post, "/v1/projects/\(project)/instances/\(instance)/restart", auth: admin)
                    .json["operation"]!["id"]!.stringValue!
            }
            _ = try await harness.services.jobs.claim(owner: "dead-worker", kinds: [OperationType.RESTART_INSTANCE.jobKind], limit: 1, leaseMillis: 30_000)
            harness.clock.advance(by: 31)
            #expect(try await fixture.runJobs { try await fixture.operationState(operation) == "FAILED" })
            #expect(try await fixture.instanceState(instance) == "FAILED")
            // Not stuck: the next operation is accepted.
            let next = try await harness.test { client in
                try await client.send(.post, "/v1/projects/\(project)/instances/\(instance)/restart", auth: .session(try await client.adminSession())).status
            }
            #expect(next == .accepted)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct BackupAndUserTests {
    @Test(arguments: Backends.all)
    func backupRestoreAndDelete(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await runningInstance(fixture)
            let (backup, operation) = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let created = try await client.send(.post, "/v1/projects/\(project)/instances/\(instance)/backups", auth: admin, json: #"{"kind":"full"}"#)
                #expect(created.status == .accepted)
                #expect(created.json["backup"]?["state"] == "PENDING")
                #expect(created.json["backup"]?["id"]?.stringValue?.hasPrefix("bkp-") == true)
                let bad = try await client.send(.post, "/v1/projects/\(project)/instances/\(instance)/backups", auth: admin, json: #"{"kind":"incremental"}"#)
                #expect(bad.status == .badRequest)
                return (created.json["backup"]!["id"]!.stringValue!, created.json["operation"]!["id"]!.stringValue!)
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(operation) == "SUCCEEDED" })
            let restoreOp = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let got = try await client.send(.get, "/v1/projects/\(project)/backups/\(backup)", auth: admin)
                #expect(got.json["backup"]?["state"] == "SUCCEEDED")
                #expect(got.json["backup"]?["size_bytes"] == 4096)
                #expect(got.json["backup"]?["finished_at"]?.stringValue != nil)
                let list = try await client.send(.get, "/v1/projects/\(project)/instances/\(instance)/backups", auth: admin)
                #expect(list.json["total_count"] == 1)
                let missing = try await client.send(.post, "/v1/projects/\(project)/instances/\(instance)/restore", auth: admin, json: #"{"backup_id":"bkp-none"}"#)
                #expect(missing.status == .notFound)
                let restore = try await client.send(.post, "/v1/projects/\(project)/instances/\(instance)/restore", auth: admin, json: #"{"backup_id":"\#(backup)"}"#)
                #expect(restore.status == .accepted)
                #expect(restore.json["instance"]?["state"] == "RESTORING")
                return restore.json["operation"]!["id"]!.stringValue!
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(restoreOp) == "SUCCEEDED" })
            let deleteOp = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let deleted = try await client.send(.delete, "/v1/projects/\(project)/backups/\(backup)", auth: admin)
                #expect(deleted.status == .accepted)
                #expect(deleted.json["backup"]?["state"] == "DELETING")
                return deleted.json["operation"]!["id"]!.stringValue!
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(deleteOp) == "SUCCEEDED" })
            let gone = try await harness.test { client in
                try await client.send(.get, "/v1/projects/\(project)/backups/\(backup)", auth: .session(try await client.adminSession())).status
            }
            #expect(gone == .notFound)
            #expect(fixture.provider.calls.suffix(3) == ["backup", "restore", "deleteBackup"])
        }
    }

    @Test(arguments: Backends.all)
    func databaseUsersWithPasswordsShownOnce(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance) = try await runningInstance(fixture)
            let base = "/v1/projects/\(project)/instances/\(instance)/users"
            let (userId, password, operation) = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let created = try await client.send(.post, base, auth: admin,
                    json: #"{"name":"app","privileges":{"shop":["connect","create"]},"connection_limit":10}"#)
                #expect(created.status == .accepted)
                let password = try #require(created.json["user"]?["password"]?.stringValue)
                #expect(password.count >= 16)
                #expect(created.json["user"]?["privileges"] == ["shop": ["CONNECT", "CREATE"]])
                for bad in [#"{"name":"pg_admin"}"#, #"{"name":"app2","password":"short"}"#, #"{"name":"app3","privileges":{"shop":["SUPERUSER"]}}"#] {
                    #expect(try await client.send(.post, base, auth: admin, json: bad).status == .badRequest, "\(bad)")
                }
                return (created.json["user"]!["id"]!.stringValue!, password, created.json["operation"]!["id"]!.stringValue!)
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(operation) == "SUCCEEDED" })
            #expect(fixture.provider.calls.contains("createUser:app:\(password)"))
            // Not in the store in clear: the sealed copy was erased from the operation once it ran.
            let parameters = try await harness.services.store.read { db in
                try await db.raw("SELECT parameters FROM operations WHERE id = \(bind: operation)").first()?.decode(column: "parameters", as: String.self)
            }
            #expect(parameters?.contains("password") == false)
            let patchOp = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let list = try await client.send(.get, base, auth: admin)
                #expect(list.json["total_count"] == 2)  // with the instance's default user, app_owner
                #expect(list.json["users"]?.arrayFirst?["state"] == "ACTIVE")
                #expect(!list.text.contains(password))
                #expect(list.json["users"]?.arrayFirst?["password"] == nil)
                let patched = try await client.send(.patch, base + "/\(userId)", auth: admin, json: #"{"login":false,"generate_password":true}"#)
                #expect(patched.status == .accepted)
                #expect(patched.json["user"]?["password"]?.stringValue != nil)
                return patched.json["operation"]!["id"]!.stringValue!
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(patchOp) == "SUCCEEDED" })
            let deleteOp = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let list = try await client.send(.get, base, auth: admin)
                #expect(list.json["users"]?.arrayFirst?["login"] == false)
                return try await client.send(.delete, base + "/\(userId)", auth: admin).json["operation"]!["id"]!.stringValue!
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(deleteOp) == "SUCCEEDED" })
            let remaining = try await harness.test { client in
                try await client.send(.get, base, auth: .session(try await client.adminSession())).json["total_count"]
            }
            #expect(remaining == 1)  // the default user stays
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ExternalProviderTests {
    @Test(.enabled(if: Backends.all.contains(.postgres), "needs the test PostgreSQL server"))
    func registersAReachableServerAndRefusesBadCredentials() async throws {
        let url = try await TestPostgres.createDatabase()
        let parts = try #require(URLComponents(string: url))
        // The test server listens on loopback, which external instances may use only when allowed.
        try await Harness.with(.sqlite, configure: { $0.externalAllow = [CIDR("127.0.0.0/8")!] }) { harness in
            let (project, good, bad) = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "outside")
                func register(_ name: String, password: String) async throws -> TestResponse {
                    try await client.send(.post, "/v1/projects/\(project)/instances", auth: admin, json: """
                        {"name":"\(name)","engine":"postgresql","provider":"external",
                         "connection":{"host":"127.0.0.1","port":\(parts.port!),"database":"\(parts.path.dropFirst())"},
                         "credential":{"username":"postgres","password":"\(password)"}}
                        """)
                }
                let good = try await register("legacy", password: parts.password!)
                #expect(good.status == .accepted)
                #expect(!good.text.contains(parts.password!))
                let bad = try await register("wrong", password: "not-the-password")
                let missing = try await client.send(.post, "/v1/projects/\(project)/instances", auth: admin,
                    json: #"{"name":"x","engine":"postgresql","provider":"external"}"#)
                #expect(missing.status == .badRequest)
                return (project, good.json["operation"]!["id"]!.stringValue!, bad.json["operation"]!["id"]!.stringValue!)
            }
            let fixture = DBaaSFixture(harness)
            #expect(try await fixture.runJobs {
                let first = try await fixture.operationState(good)
                let second = try await fixture.operationState(bad)
                return first == "SUCCEEDED" && second == "FAILED"
            })
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let list = try await client.send(.get, "/v1/projects/\(project)/instances?sort=name", auth: admin)
                let legacy = try #require(list.json["instances"]?.arrayFirst)
                #expect(legacy["state"] == "RUNNING")
                #expect(legacy["version"] == "15" || legacy["version"]?.stringValue?.isEmpty == false)
                #expect(legacy["endpoints"]?.arrayFirst?["port"]?.intValue == Int64(parts.port!))
                #expect(!list.text.contains(parts.password!))
                let failed = try await client.send(.get, "/v1/projects/\(project)/operations/\(bad)", auth: admin)
                #expect(failed.json["operation"]?["error"]?["code"] == "DATABASE_CONNECTION_ERROR")
                #expect(!failed.text.contains("not-the-password"))
                let restart = try await client.send(.post, "/v1/projects/\(project)/instances/\(legacy["id"]!.stringValue!)/restart", auth: admin)
                #expect(restart.status == .unprocessableContent)
            }
        }
    }
}
