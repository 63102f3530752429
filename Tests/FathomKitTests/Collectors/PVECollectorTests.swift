@testable import FathomKit
import Foundation
import Testing

/// The Proxmox VE collector over real HTTPS against the fixture server (`PVEFixture`): mapping of Proxmox's
/// documented shapes, both ways of logging in, scopes, a node that does not answer, and each way a connection fails.
@Suite(.timeLimit(.minutes(5)))
struct PVECollectorTests {
    static func config(_ fixture: PVEFixture, _ extra: [String: JSONValue] = [:]) async throws -> JSONValue {
        var config: [String: JSONValue] = [
            "endpoint": .string(fixture.endpoint), "ca_bundle": .string(try await TestCertificates.shared().issuer.caPath),
            "timeout_ms": 60_000,
        ]
        config.merge(extra) { $1 }
        return .object(config)
    }

    static let token = ["token": PVEFixture.token]

    @Test func aStandaloneNodeIsMappedFromProxmoxsShapes() async throws {
        let fixture = try await PVEFixture(PVEFixture.standalone())
        let response = try await BuiltIn.respond(type: "pve", config: try await Self.config(fixture, ["scope": "standalone"]), credential: Self.token)
        await fixture.stop()
        #expect(response["errors"] == [], "\(response["errors"] ?? .null)")
        let inventory = try BuiltIn.inventory(response, type: "pve")
        #expect(inventory.assets.count == 4)
        #expect(BuiltIn.assets(response, kind: "cluster").isEmpty)

        let host = try #require(BuiltIn.assets(response, kind: "host").first)
        #expect(host["external_id"] == "pve1/node/pve1")
        let hostFields = try #require(host["normalized"])
        #expect(hostFields["identity"]?["hostname"] == "pve1")
        #expect(hostFields["network"]?["management_ip"] == "10.10.0.11")
        #expect(hostFields["os"]?["version"] == "8.2.4" && hostFields["os"]?["name"] == "Proxmox VE")
        #expect(hostFields["hardware"]?["cpu_count"] == 32 && hostFields["hardware"]?["memory_bytes"] == 68_719_476_736)
        #expect(hostFields["storage"]?["datastores"]?.arrayElements.map { $0["name"] } == ["local", "local-lvm"])
        #expect(hostFields["attributes"]?["cpu_model"] == "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz")

        let vms = BuiltIn.assets(response, kind: "vm")
        let vm = try #require(vms.first { $0["external_id"] == "pve1/qemu/100" })
        let fields = try #require(vm["normalized"])
        #expect(fields["identity"]?["caption"] == "db-vm-01" && fields["identity"]?["hostname"] == "db-vm-01")
        #expect(fields["identity"]?["machine_uuid"] == "5e0f6a32-1c2b-4d3e-8f40-000000000100")
        // The agent's addresses without loopback and link-local ones; the MAC from the config, lower-case.
        #expect(fields["network"]?["ip_addresses"] == ["10.20.0.11"])
        #expect(fields["network"]?["mac_addresses"] == ["bc:24:11:5a:00:64"])
        #expect(fields["os"]?["name"] == "Debian GNU/Linux 12 (bookworm)" && fields["os"]?["fingerprint"] == "l26")
        #expect(fields["hardware"]?["cpu_count"] == 4 && fields["hardware"]?["memory_bytes"] == .int(8192 << 20))
        // The CD-ROM is not a disk.
        #expect(fields["hardware"]?["disks"] == [["name": "scsi0", "size_bytes": .int(32 << 30), "type": .null]])
        #expect(fields["runtime"]?["power_state"] == "poweredOn" && fields["runtime"]?["tools_running"] == true)

        let stopped = try #require(vms.first { $0["external_id"] == "pve1/qemu/101" }?["normalized"])
        #expect(stopped["runtime"]?["power_state"] == "poweredOff" && stopped["network"]?["ip_addresses"] == [])
        let container = try #require(vms.first { $0["external_id"] == "pve1/lxc/200" }?["normalized"])
        #expect(container["network"]?["ip_addresses"] == ["10.20.0.50"] && container["identity"]?["hostname"] == "ct-web")
        #expect(container["hardware"]?["memory_bytes"] == .int(512 << 20) && container["identity"]?["machine_uuid"] == .null)

        #expect(BuiltIn.relations(response, type: "runs_on").count == 3)
        #expect(BuiltIn.relations(response, type: "hosts_vm").count == 3)
        #expect(BuiltIn.relations(response, type: "member_of").isEmpty)
    }

    @Test func aThreeNodeClusterWithATicketLogin() async throws {
        let fixture = try await PVEFixture(PVEFixture.cluster())
        let response = try await BuiltIn.respond(
            type: "pve", config: try await Self.config(fixture, ["max_parallel_nodes": 2]),
            credential: ["username": PVEFixture.username, "password": PVEFixture.password])
        let requests = fixture.requests
        await fixture.stop()
        #expect(response["errors"] == [], "\(response["errors"] ?? .null)")
        #expect(requests.first == "POST /api2/json/access/ticket")
        let cluster = try #require(BuiltIn.assets(response, kind: "cluster").first)
        #expect(cluster["external_id"] == "cluster/prod")
        #expect(Set(BuiltIn.assets(response, kind: "host").compactMap { $0["external_id"]?.stringValue })
            == ["prod/node/pve1", "prod/node/pve2", "prod/node/pve3"])
        #expect(Set(BuiltIn.assets(response, kind: "vm").compactMap { $0["external_id"]?.stringValue })
            == ["prod/qemu/100", "prod/qemu/101", "prod/lxc/200"])
        #expect(BuiltIn.relations(response, type: "member_of").count == 3)
        #expect(BuiltIn.relations(response, type: "runs_on").contains { $0.from == "prod/qemu/101" && $0.to == "prod/node/pve2" })
        #expect(response["stats"]?["inventory_complete"] == true)

        let detect = try await PVECollectorTests.detect()
        #expect(detect["detect"]?["target_version"] == "8.2.4" && detect["detect"]?["driver"] == "pve@v1")
        #expect(detect["detect"]?["capabilities"]?["cluster"] == "prod" && detect["detect"]?["capabilities"]?["nodes"] == 3)
    }

    static func detect() async throws -> JSONValue {
        let fixture = try await PVEFixture(PVEFixture.cluster())
        let response = try await BuiltIn.respond(type: "pve", mode: "detect", config: try config(fixture), credential: token)
        let health = try await BuiltIn.respond(type: "pve", mode: "healthcheck", config: try config(fixture), credential: token)
        await fixture.stop()
        #expect(health["errors"] == [] && health["assets"] == [])
        return response
    }

    @Test func aNodeThatDoesNotAnswerMakesTheInventoryIncomplete() async throws {
        var state = PVEFixture.cluster()
        state.nodes[2].online = false
        let fixture = try await PVEFixture(state)
        let offline = try await BuiltIn.respond(type: "pve", config: try await Self.config(fixture), credential: Self.token)
        // Listed online, but requests to it fail the way PVE reports an unreachable node (HTTP 595).
        fixture.change { $0.nodes[2].online = true; $0.nodes[2].unreachable = true }
        let unreachable = try await BuiltIn.respond(type: "pve", config: try await Self.config(fixture), credential: Self.token)
        await fixture.stop()
        for response in [offline, unreachable] {
            #expect(response["errors"] == [], "\(response["errors"] ?? .null)")
            #expect(response["stats"]?["inventory_complete"] == false)
            #expect(response["stats"]?["warnings"]?.arrayElements.contains { $0.stringValue?.contains("pve3") == true } == true)
            // The ledger refuses it as a collect.
            #expect(throws: HarnessFailure.self) { try BuiltIn.inventory(response, type: "pve") }
        }
    }

    @Test func failuresMapToThePVECodes() async throws {
        let fixture = try await PVEFixture(PVEFixture.standalone())
        let badToken = try await BuiltIn.respond(
            type: "pve", config: try await Self.config(fixture), credential: ["token": "monitor@pve!fathom=wrong-secret"])
        let badPassword = try await BuiltIn.respond(
            type: "pve", config: try await Self.config(fixture), credential: ["username": "root", "password": "nope"])
        let wrongCA = try await BuiltIn.respond(
            type: "pve", config: try await Self.config(fixture, ["ca_bundle": .string(try await TestCertificates.shared().other.caPath)]),
            credential: Self.token)
        let systemRoots = try await BuiltIn.respond(
            type: "pve", mode: "healthcheck", config: ["endpoint": .string(fixture.endpoint)], credential: Self.token)
        let unverified = try await BuiltIn.respond(
            type: "pve", mode: "healthcheck", config: ["endpoint": .string(fixture.endpoint), "tls_verify": false], credential: Self.token)
        let endpoint = fixture.endpoint
        await fixture.stop()
        let closed = try await BuiltIn.respond(
            type: "pve", mode: "healthcheck", config: ["endpoint": .string(endpoint), "tls_verify": false, "timeout_ms": 5000],
            credential: Self.token)
        let invalid = try await BuiltIn.respond(type: "pve", config: ["endpoint": .string(endpoint), "scope": "galaxy"], credential: Self.token)
        let noCredential = try await BuiltIn.respond(type: "pve", config: ["endpoint": .string(endpoint)], credential: [:])

        func first(_ response: JSONValue) -> JSONValue { response["errors"]?.arrayElements.first ?? .null }
        #expect(first(badToken)["code"] == "PVE_AUTH_FAILED" && first(badToken)["retryable"] == false)
        #expect(first(badPassword)["code"] == "PVE_AUTH_FAILED")
        #expect(!CollectorJSON.text(badToken).contains("wrong-secret"))
        #expect(first(wrongCA)["code"] == "PVE_TLS_ERROR" && first(wrongCA)["retryable"] == false, "\(first(wrongCA))")
        #expect(first(systemRoots)["code"] == "PVE_TLS_ERROR")
        #expect(unverified["errors"] == [])
        #expect(first(closed)["code"] == "PVE_NETWORK_ERROR" && first(closed)["retryable"] == true)
        #expect(first(invalid)["code"] == "PVE_CONFIG_INVALID")
        #expect(first(noCredential)["code"] == "PVE_CONFIG_INVALID")
    }

    @Test func nodesAreReadWithBoundedConcurrency() async throws {
        var state = PVEFixture.cluster()
        state.delayMillis = 25
        let fixture = try await PVEFixture(state)
        let serial = try await BuiltIn.respond(type: "pve", config: try await Self.config(fixture, ["max_parallel_nodes": 1]), credential: Self.token)
        let (serialNodes, serialRequests) = fixture.shared.mutex.withLock { ($0.maxNodesInFlight, $0.maxRequestsInFlight) }
        fixture.change { $0.maxNodesInFlight = 0; $0.maxRequestsInFlight = 0 }
        let parallel = try await BuiltIn.respond(type: "pve", config: try await Self.config(fixture, ["max_parallel_nodes": 3]), credential: Self.token)
        let (parallelNodes, parallelRequests) = fixture.shared.mutex.withLock { ($0.maxNodesInFlight, $0.maxRequestsInFlight) }
        await fixture.stop()
        #expect(serial["errors"] == [] && parallel["errors"] == [])
        #expect(serial["stats"]?["assets"] == parallel["stats"]?["assets"])
        // One node at a time (its guests at most four at once), then really several nodes at once — never more.
        #expect(serialNodes == 1 && serialRequests <= PVENodeReader.parallelGuests)
        #expect(parallelNodes >= 2 && parallelNodes <= 3, "\(parallelNodes)")
        #expect(parallelRequests <= 3 * PVENodeReader.parallelGuests)
    }

    @Test func anAccountThatSeesNoNodeLacksPermission() async throws {
        // PVE filters lists by privilege: a token without Sys.Audit gets empty lists, not a 403.
        let fixture = try await PVEFixture(PVEFixture.State(clusterName: nil, nodes: [], guests: []))
        let response = try await BuiltIn.respond(type: "pve", mode: "healthcheck", config: try await Self.config(fixture), credential: Self.token)
        await fixture.stop()
        #expect(response["errors"]?.arrayElements.first?["code"] == "PVE_PERMISSION_DENIED")
    }

    @Test func guestConfigStringsAreRead() {
        #expect(PVEGuestConfig.bytes("32G") == 32 << 30 && PVEGuestConfig.bytes("512M") == 512 << 20)
        #expect(PVEGuestConfig.bytes("1.5T") == 3 << 39 && PVEGuestConfig.bytes("4096") == 4096 && PVEGuestConfig.bytes("") == nil)
        #expect(PVENodeReader.agentEnabled("1") && PVENodeReader.agentEnabled("enabled=1,fstrim_cloned_disks=1"))
        #expect(!PVENodeReader.agentEnabled("0") && !PVENodeReader.agentEnabled("enabled=0") && !PVENodeReader.agentEnabled(nil))
        let config = PVEGuestConfig([
            "memory": "current=4096", "net1": "e1000=AA:BB:CC:00:00:02,bridge=vmbr1", "net0": "virtio=AA:BB:CC:00:00:01,bridge=vmbr0",
            "virtio10": "ceph:vm-1-disk-1,size=10G", "virtio2": "ceph:vm-1-disk-0,size=2G", "smbios1": "uuid=ABC-1,manufacturer=cXVlbXU=,base64=1",
        ])
        #expect(config.int("memory") == 4096 && config.smbiosUUID == "abc-1")
        #expect(config.macAddresses == ["aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02"])
        #expect(config.disks.map { $0["name"] } == ["virtio2", "virtio10"])
    }

    @Test func theCommandLineEntryPointServesPVE() async throws {
        #expect(BuiltInCollectorCommand.types.contains("pve"))
        let fixture = try await PVEFixture(PVEFixture.standalone())
        let (data, failed) = await BuiltInCollectorCommand.respond(
            type: "pve", request: BuiltIn.request(type: "pve", config: try await Self.config(fixture), credential: Self.token))
        await fixture.stop()
        #expect(!failed)
        #expect(try CollectorJSON.parse(data)["stats"]?["assets"] == 4)
    }
}
