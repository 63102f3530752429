@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct InstanceLifecycleTests {
    @Test(arguments: Backends.all)
    func createReturnsTheContractBodyAndBecomesRunning(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (instanceId, operationId) = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "shop")
                let response = try await client.createInstance(admin, project: project, name: "my-postgres", extra: #","region":"eu-west-1","labels":{"env":"prod"}"#)
                #expect(response.status == .accepted)
                let instance = try #require(response.json["instance"])
                let operation = try #require(response.json["operation"])
                #expect(instance["id"]?.stringValue?.hasPrefix("inst-") == true)
                #expect(instance["instance_id"]?.intValue != nil)
                #expect(instance["name"] == "my-postgres")
                #expect(instance["state"] == "CREATING")
                #expect(instance["engine"] == "postgresql")
                #expect(instance["version"] == "16")
                #expect(instance["region"] == "eu-west-1")
                #expect(instance["resources"] == ["cpu": 1, "memory_gb": 1, "storage_gb": 10])
                #expect(instance["endpoints"] == [])
                #expect(instance["labels"] == ["env": "prod"])
                #expect(instance["provider"] == "scripted")
                #expect(instance["created_at"]?.stringValue?.hasSuffix("Z") == true)
                #expect(operation["id"]?.stringValue?.hasPrefix("op-") == true)
                #expect(operation["type"] == "CREATE_INSTANCE")
                #expect(operation["state"] == "PENDING")
                #expect(operation["progress_percent"] == 0)
                return (instance["id"]!.stringValue!, operation["id"]!.stringValue!)
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(operationId) == "SUCCEEDED" })
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let projects = try await client.send(.get, "/v1/projects", auth: admin)
                let project = try #require(projects.json["projects"]?.arrayFirst?["id"]?.stringValue)
                let instance = try await client.send(.get, "/v1/projects/\(project)/instances/\(instanceId)", auth: admin)
                #expect(instance.json["instance"]?["state"] == "RUNNING")
                #expect(instance.json["instance"]?["endpoints"]?.arrayFirst?["role"] == "primary")
                #expect(!instance.text.contains("generated"))  // the provider's credential is sealed, never shown
                let operation = try await client.send(.get, "/v1/projects/\(project)/operations/\(operationId)", auth: admin)
                #expect(operation.json["operation"]?["state"] == "SUCCEEDED")
                #expect(operation.json["operation"]?["progress_percent"] == 100)
                #expect(operation.json["operation"]?["target"] == ["type": "instance", "id": .string(instanceId)])
            }
        }
    }

    @Test(arguments: Backends.all)
    func validationEnginesAndQuotas(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = DBaaSFixture(harness)
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "small", quotas: #"{"instances":2,"storage_gb":25}"#)
                let mysql = try await client.send(.post, "/v1/projects/\(project)/instances", auth: admin,
                    json: #"{"name":"a","engine":"mysql","provider":"scripted"}"#)
                #expect(mysql.status == .unprocessableContent)
                #expect(mysql.errorCode == "ENGINE_NOT_SUPPORTED")
                #expect(mysql.json["error"]?["details"]?.arrayFirst?["engine"] == "postgresql")
                let version = try await client.send(.post, "/v1/projects/\(project)/instances", auth: admin,
                    json: #"{"name":"a","engine":"postgresql","version":"9","provider":"scripted"}"#)
                #expect(version.status == .unprocessableContent)
                #expect(version.json["error"]?["message"]?.stringValue?.contains("15, 16") == true)
                let provider = try await client.send(.post, "/v1/projects/\(project)/instances", auth: admin,
                    json: #"{"name":"a","engine":"postgresql","provider":"nowhere"}"#)
                #expect(provider.status == .unprocessableContent)
                let badName = try await client.createInstance(admin, project: project, name: "Bad_Name")
                #expect(badName.status == .badRequest)
                let badResources = try await client.send(.post, "/v1/projects/\(project)/instances", auth: admin,
                    json: #"{"name":"a","engine":"postgresql","provider":"scripted","resources":{"cpu":0,"memory_gb":1,"storage_gb":1}}"#)
                #expect(badResources.json["error"]?["details"]?.arrayFirst?["field"] == "resources.cpu")

                #expect(try await client.createInstance(admin, project: project, name: "one").status == .accepted)
                let duplicate = try await client.createInstance(admin, project: project, name: "one")
                #expect(duplicate.status == .conflict)
                #expect(duplicate.errorCode == "CONFIG_DUPLICATE_NAME")
                #expect(try await client.createInstance(admin, project: project, name: "two").status == .accepted)
                let third = try await client.createInstance(admin, project: project, name: "three")
                #expect(third.status == .forbidden)
                #expect(third.errorCode == "QUOTA_EXCEEDED")
                #expect(third.json["error"]?["message"] == "Instance limit exceeded: 2/2 instances used")
                #expect(third.json["error"]?["details"] == [["resource": "instances", "limit": 2, "current": 2]])
                #expect(third.json["error"]?["request_id"]?.stringValue != nil)
            }
        }
    }

    @Test(arguments: Backends.all)
    func stateMachineConflictsNameTheBlockingOperation(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, instance, createOp) = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "states")
                let created = try await client.createInstance(admin, project: project, name: "db")
                let instance = created.json["instance"]!["id"]!.stringValue!
                let restart = try await client.send(.post, "/v1/projects/\(project)/instances/\(instance)/restart", auth: admin)
                #expect(restart.status == .conflict)
                let createOp = created.json["operation"]!["id"]!.stringValue!
                #expect(restart.errorCode == "OPERATION_IN_PROGRESS" || restart.errorCode == "CONFLICT")
                #expect(restart.text.contains(createOp) || restart.text.contains("CREATING"))
                return (project, instance, createOp)
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(createOp) == "SUCCEEDED" })
            fixture.provider.hold("restart")
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let path = "/v1/projects/\(project)/instances/\(instance)"
                let restart = try await client.send(.post, path + "/restart", auth: admin)
                #expect(restart.status == .accepted)
                #expect(restart.json["instance"]?["state"] == "RESTARTING")
                let restartOp = try #require(restart.json["operation"]?["id"]?.stringValue)
                let second = try await client.send(.post, path + "/restart", auth: admin)
                #expect(second.status == .conflict)
                let deleteWhileBusy = try await client.send(.delete, path, auth: admin)
                #expect(deleteWhileBusy.status == .conflict)
                let failover = try await client.send(.post, path + "/failover", auth: admin)
                #expect(failover.status == .conflict)
                #expect(failover.json["error"]?["message"]?.stringValue?.contains("standby") == true)
                // Renaming and relabelling need no operation.
                let relabel = try await client.send(.patch, path, auth: admin, json: #"{"labels":{"team":"core"}}"#)
                #expect(relabel.status == .ok)
                #expect(relabel.json["operation"] == nil)
                _ = restartOp
            }
            fixture.provider.release("restart")
            #expect(try await fixture.runJobs { try await fixture.instanceState(instance) == "RUNNING" })
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let path = "/v1/projects/\(project)/instances/\(instance)"
                let resize = try await client.send(.patch, path, auth: admin, json: #"{"resources":{"cpu":2,"memory_gb":4,"storage_gb":20},"high_availability":true}"#)
                #expect(resize.status == .accepted)
                #expect(resize.json["operation"]?["type"] == "UPDATE_INSTANCE")
            }
            #expect(try await fixture.runJobs {
                try await harness.services.controlPlane.instance(instance, projectId: project).highAvailability
            })
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let path = "/v1/projects/\(project)/instances/\(instance)"
                let current = try await client.send(.get, path, auth: admin)
                #expect(current.json["instance"]?["resources"] == ["cpu": 2, "memory_gb": 4, "storage_gb": 20])
                #expect(current.json["instance"]?["endpoints"]?.arrayCount == 2)
                let failover = try await client.send(.post, path + "/failover", auth: admin)
                #expect(failover.status == .accepted)
                #expect(failover.json["instance"]?["state"] == "FAILING_OVER")
            }
            #expect(try await fixture.runJobs { try await fixture.instanceState(instance) == "RUNNING" })
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let path = "/v1/projects/\(project)/instances/\(instance)"
                let deleted = try await client.send(.delete, path, auth: admin)
                #expect(deleted.status == .accepted)
                #expect(deleted.json["instance"]?["state"] == "DELETING")
                #expect(deleted.json["operation"]?["type"] == "DELETE_INSTANCE")
            }
            #expect(try await fixture.runJobs { try await fixture.instanceState(instance) == "DELETED" })
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let path = "/v1/projects/\(project)/instances/\(instance)"
                #expect(try await client.send(.get, path, auth: admin).status == .notFound)
                #expect(try await client.send(.post, path + "/restart", auth: admin).status == .notFound)
            }
            // The create makes the default user and database too (with a generated password).
            #expect(fixture.provider.calls.filter { !$0.hasPrefix("createUser:app_owner:") && !$0.hasPrefix("updateUser:app_owner:") }
                == ["create", "createDatabase:app:app_owner", "restart", "update", "failover", "delete"])
        }
    }

    @Test(arguments: Backends.all)
    func failedOperationsReportTheErrorAndSettleTheInstance(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            fixture.provider.fail("create")
            let (_, instance, operation) = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "failing")
                let created = try await client.createInstance(admin, project: project, name: "db")
                return (project, created.json["instance"]!["id"]!.stringValue!, created.json["operation"]!["id"]!.stringValue!)
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(operation) == "FAILED" })
            #expect(try await fixture.instanceState(instance) == "FAILED")
            let stored = try await harness.services.store.read { db in try await OperationStore.find(projectId: nil, id: operation, on: db) }
            #expect(OperationView(try #require(stored)).error?.code == "SYNC_DATA_ERROR")
            // The half-made instance was cleaned up by the provider.
            #expect(fixture.provider.calls == ["create", "delete"])
        }
    }
}
