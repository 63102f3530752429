@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 23, finding 5: external instances cannot point the server at itself, its neighbours or metadata services.
@Suite(.timeLimit(.minutes(5))) struct ExternalNetworkPolicyTests {
    @Test func refusesLoopbackLinkLocalMetadataUnspecifiedAndLocalPortsByDefault() {
        let policy = ExternalNetworkPolicy(localPorts: 15432...16431)
        for host in ["127.0.0.1", "127.9.9.9", "::1", "169.254.169.254", "169.254.1.1", "0.0.0.0", "::", "::ffff:127.0.0.1", "fe80::1", "localhost"] {
            #expect(policy.refusal(host: host, port: 5432) != nil, "\(host)")
        }
        #expect(policy.refusal(host: "10.1.2.3", port: 5432) == nil)
        #expect(policy.refusal(host: "2001:db8::5", port: 5432) == nil)
        #expect(policy.refusal(host: "10.1.2.3", port: 15500) != nil)  // the local provider's range
        #expect(policy.refusal(host: "no-such-host.invalid", port: 5432) != nil)
    }

    @Test func allowListAdmitsNamedNetworks() throws {
        let allow = try #require(ExternalNetworkPolicy.parseAllowList("127.0.0.0/8, 10.9.0.0/16"))
        let policy = ExternalNetworkPolicy(allow: allow, localPorts: 15432...16431)
        #expect(policy.refusal(host: "127.0.0.1", port: 5432) == nil)
        #expect(policy.refusal(host: "10.9.3.4", port: 15500) == nil)
        #expect(policy.refusal(host: "::1", port: 5432) != nil)
        #expect(ExternalNetworkPolicy.parseAllowList("10.0.0.0/33") == nil)
        var configuration = FathomConfiguration()
        #expect(throws: ConfigurationError.self) { try configuration.apply(environment: ["FATHOM_EXTERNAL_ALLOW": "nonsense"]) }
        try configuration.apply(environment: ["FATHOM_EXTERNAL_ALLOW": "127.0.0.1/32"])
        #expect(configuration.externalAllow == [CIDR("127.0.0.1/32")!])
    }

    @Test(arguments: Backends.all)
    func registeringLoopbackFailsWithOneGenericErrorAndAdminDetail(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            let (project, operation) = try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let project = try await client.createProject(admin, name: "ssrf")
                let created = try await client.send(.post, "/v1/projects/\(project)/instances", auth: admin, json: """
                    {"name":"probe","engine":"postgresql","provider":"external",
                     "connection":{"host":"127.0.0.1","port":22,"database":"postgres"},
                     "credential":{"username":"postgres","password":"guess"}}
                    """)
                #expect(created.status == .accepted)
                return (project, try #require(created.json["operation"]?["id"]?.stringValue))
            }
            #expect(try await fixture.runJobs { try await fixture.operationState(operation) == "FAILED" })
            try await harness.test { client in
                let admin = Auth.session(try await client.adminSession())
                let failed = try await client.send(.get, "/v1/projects/\(project)/operations/\(operation)", auth: admin)
                let error = try #require(failed.json["operation"]?["error"])
                #expect(error["code"] == "DATABASE_CONNECTION_ERROR")
                #expect(error["message"]?.stringValue == ExternalProvider.genericFailure)
                #expect(!failed.text.contains("127.0.0.1") && !failed.text.contains("refused"))
                // The fleet admin reads the detail on the task run.
                let jobId = try await harness.services.store.read { db in
                    try await OperationStore.find(projectId: nil, id: operation, on: db)?.job.id
                }
                let run = try await client.send(.get, "/api/v1/task-runs/\(try #require(jobId))", auth: admin)
                #expect(run.json["data"]?["error"]?["message"]?.stringValue == ExternalProvider.genericFailure)
                #expect(run.json["data"]?["error"]?["detail"]?.stringValue?.contains("127.0.0.0/8") == true)
            }
        }
    }

    /// Collections check again: a registered name may resolve to loopback later.
    @Test func collectorRefusesAnExternalInstanceThatNowPointsAtLoopback() async throws {
        try await Harness.with(.sqlite) { harness in
            let services = harness.services
            let instance = Instance(
                instanceId: 1, id: "inst-x", projectId: "proj-x", name: "x", engine: "postgresql", version: "15", region: "local",
                provider: "external", state: .RUNNING, resources: Resources(cpu: 1, memory_gb: 1, storage_gb: 1),
                highAvailability: false, labels: [:], endpoints: [Endpoint(host: "localhost", port: 5432, role: .primary)],
                connection: nil, sealedCredential: try services.secrets.seal(#"{"username":"u","password":"p"}"#),
                activeOperationId: nil, createdAt: 0, updatedAt: 0)
            #expect(throws: AppError.self) { try services.capacity.target(instance) }
            var local = instance
            local.provider = "local"  // the local provider's own instances are on loopback by design
            #expect(try services.capacity.target(local).host == "localhost")
        }
    }
}
