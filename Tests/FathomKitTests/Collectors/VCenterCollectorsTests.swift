@testable import FathomKit
import Foundation
import Testing

/// The vCenter collector against the real simulator: mapping checked against the simulator's own values, paging,
/// and each way a connection fails. The simulator's default model: one datacenter, a cluster of 3 hosts, one
/// standalone host, 2 VMs per host/pool (4 VMs); its VMs' addresses are set by vcsim/main.go's `addresses`.
@Suite(.timeLimit(.minutes(10)), .enabled(if: VCSim.available, "needs golang-go and golang-github-vmware-govmomi-dev"))
struct VCenterCollectorsTests {
    @Test func collectMapsTheSimulatorsValues() async throws {
        let sim = try await VCSim.start()
        defer { sim.stop() }
        // One object per answer: every type is read through ContinueRetrievePropertiesEx pages.
        let response = try await BuiltIn.respond(config: ["endpoint": .string(sim.endpoint), "page_size": 1])
        #expect(response["errors"] == [], "\(response["errors"] ?? .null)")
        let inventory = try BuiltIn.inventory(response)
        #expect(inventory.assets.count == 9)

        let vms = BuiltIn.assets(response, kind: "vm")
        let hosts = BuiltIn.assets(response, kind: "host")
        #expect(vms.count == 4 && hosts.count == 4 && BuiltIn.assets(response, kind: "cluster").count == 1)
        // main.go numbers VMs by name: DC0_C0_RP0_VM0, DC0_C0_RP0_VM1, DC0_H0_VM0, DC0_H0_VM1.
        let vm = try #require(vms.first { $0["normalized"]?["identity"]?["caption"] == "DC0_H0_VM0" })
        let normalized = try #require(vm["normalized"])
        #expect(normalized["network"]?["ip_addresses"] == ["10.0.3.10", "fd00::3"])
        #expect(normalized["identity"]?["hostname"] == "dc0_h0_vm0.lab")
        #expect(normalized["network"]?["mac_addresses"]?.arrayItems.first?.stringValue?.hasPrefix("00:0c:29:") == true)
        let instanceUuid = try #require(normalized["identity"]?["machine_uuid"]?.stringValue)
        #expect(instanceUuid.count == 36 && normalized["attributes"]?["bios_uuid"]?.stringValue != instanceUuid)
        #expect(normalized["runtime"]?["power_state"] == "poweredOn")
        #expect(normalized["hardware"]?["cpu_count"]?.intValue ?? 0 >= 1)
        #expect(normalized["hardware"]?["memory_bytes"]?.intValue ?? 0 >= 1 << 20)
        let disk = try #require(normalized["hardware"]?["disks"]?.arrayItems.first)
        #expect(disk["size_bytes"]?.intValue ?? 0 > 0 && disk["name"]?.stringValue?.hasPrefix("disk-") == true)

        // The standalone host DC0_H0 carries DC0_H0_VM0.
        let hostId = try #require(BuiltIn.relations(response, type: "runs_on").first { $0.from == vm["external_id"]?.stringValue }?.to)
        let host = try #require(hosts.first { $0["external_id"]?.stringValue == hostId })
        let hostFields = try #require(host["normalized"])
        #expect(hostFields["identity"]?["caption"] == "DC0_H0")
        #expect(hostFields["identity"]?["vendor"] == "VMware, Inc.")
        #expect(hostFields["identity"]?["model"] == "VMware Virtual Platform")
        #expect(hostFields["identity"]?["serial_number"]?.stringValue?.hasPrefix("VMware-56 4d ") == true)
        #expect(hostFields["os"]?["version"] == "6.5.0")
        #expect(hostFields["attributes"]?["esxi_build"] == "5969303")
        #expect(hostFields["network"]?["management_ip"] == "127.0.0.1")
        let datastore = try #require(hostFields["storage"]?["datastores"]?.arrayItems.first)
        #expect(datastore["name"]?.stringValue?.hasPrefix("LocalDS_") == true && datastore["capacity_bytes"]?.intValue ?? 0 > 0)

        // Every VM runs on a host that hosts it back; the cluster's three hosts are its members, the standalone not.
        #expect(BuiltIn.relations(response, type: "runs_on").count == 4)
        #expect(Set(BuiltIn.relations(response, type: "hosts_vm").map { "\($0.to)>\($0.from)" })
            == Set(BuiltIn.relations(response, type: "runs_on").map { "\($0.from)>\($0.to)" }))
        #expect(BuiltIn.relations(response, type: "member_of").count == 3)
        #expect(!BuiltIn.relations(response, type: "member_of").contains { $0.from == hostId })
    }

    @Test func retrievalPagesThroughContinueTokens() async throws {
        let sim = try await VCSim.start(["-vm", "3"])
        defer { sim.stop() }
        let transport = try HTTPTransport(useTLS: false, verify: true, caBundle: nil, timeoutMillis: 10_000)
        let soap = VCenterSOAP(transport: transport, endpoint: try #require(URL(string: sim.endpoint)))
        let content = try await soap.serviceContent()
        try await soap.login(sessionManager: "SessionManager", username: "user", password: "pass")
        let view = try await soap.createContainerView(
            viewManager: try #require(content.child("viewManager")?.text), root: try #require(content.child("rootFolder")?.text),
            type: "VirtualMachine")
        let collector = try #require(content.child("propertyCollector")?.text)
        let paged = try await soap.retrieve(collector: collector, view: view, type: "VirtualMachine", paths: ["name"], pageSize: 2)
        let whole = try await soap.retrieve(collector: collector, view: view, type: "VirtualMachine", paths: ["name"], pageSize: 500)
        // 6 VMs: three pages of two, the same objects as one page of all.
        #expect(paged.pages == 3 && whole.pages == 1)
        #expect(paged.objects.map(\.id) == whole.objects.map(\.id) && Set(paged.objects.map(\.id)).count == 6)
    }

    @Test func healthcheckAndDetect() async throws {
        let sim = try await VCSim.start()
        defer { sim.stop() }
        let health = try await BuiltIn.respond(mode: "healthcheck", config: ["endpoint": .string(sim.endpoint)])
        #expect(health["errors"] == [] && health["assets"] == [])
        let detect = try await BuiltIn.respond(mode: "detect", config: ["endpoint": .string(sim.endpoint)])
        #expect(detect["detect"]?["target_version"] == "6.5.0")
        #expect(detect["detect"]?["driver"] == "vcenter@v1")
        #expect(detect["detect"]?["capabilities"]?["build"] == "5973321")
        #expect(detect["detect"]?["capabilities"]?["api_version"] == "6.5")
    }

    @Test func failuresMapToTheProtocolsCodes() async throws {
        let sim = try await VCSim.start()
        defer { sim.stop() }
        let wrong = try await BuiltIn.respond(
            config: ["endpoint": .string(sim.endpoint)], credential: ["username": "user", "password": "wrong<&>\"pass"])
        let auth = try #require(wrong["errors"]?.arrayItems.first)
        #expect(auth["code"] == "VCENTER_AUTH_FAILED" && auth["retryable"] == false && auth["category"] == "auth")
        #expect(!CollectorJSON.text(wrong).contains("wrong<&>"))

        // A port nothing listens on (the simulator's, once it has stopped).
        let endpoint = sim.endpoint
        sim.stop()
        let closed = try await BuiltIn.respond(mode: "healthcheck", config: ["endpoint": .string(endpoint), "timeout_ms": 5000])
        let network = try #require(closed["errors"]?.arrayItems.first)
        #expect(network["code"] == "VCENTER_NETWORK_ERROR" && network["retryable"] == true)

        let invalid = try await BuiltIn.respond(config: ["endpoint": "ftp://x", "tls_verify": "yes"])
        #expect(invalid["errors"]?.arrayItems.first?["code"] == "VCENTER_CONFIG_INVALID")
    }

    @Test func tlsIsVerifiedAgainstTheGivenBundle() async throws {
        let sim = try await VCSim.start(["-tls"])
        defer { sim.stop() }
        let ca = try #require(sim.caPath)
        #expect(sim.endpoint.hasPrefix("https://"))
        let trusted = try await BuiltIn.respond(mode: "healthcheck", config: ["endpoint": .string(sim.endpoint), "ca_bundle": .string(ca)])
        #expect(trusted["errors"] == [], "\(trusted)")
        // PEM text works as well as a path.
        let pem = try String(contentsOfFile: ca, encoding: .utf8)
        let inline = try await BuiltIn.respond(mode: "healthcheck", config: ["endpoint": .string(sim.endpoint), "ca_bundle": .string(pem)])
        #expect(inline["errors"] == [])
        // Verification is on by default: the system's roots do not know the simulator's certificate.
        let untrusted = try await BuiltIn.respond(mode: "healthcheck", config: ["endpoint": .string(sim.endpoint)])
        let tls = try #require(untrusted["errors"]?.arrayItems.first)
        #expect(tls["code"] == "VCENTER_TLS_ERROR" && tls["retryable"] == false, "\(tls)")
        // A different CA (another simulator's) is refused too; turning verification off is the source's explicit choice.
        let other = try await VCSim.start(["-tls"])
        defer { other.stop() }
        let wrongCA = try await BuiltIn.respond(
            mode: "healthcheck", config: ["endpoint": .string(sim.endpoint), "ca_bundle": .string(try #require(other.caPath))])
        #expect(wrongCA["errors"]?.arrayItems.first?["code"] == "VCENTER_TLS_ERROR")
        let unverified = try await BuiltIn.respond(mode: "healthcheck", config: ["endpoint": .string(sim.endpoint), "tls_verify": false])
        #expect(unverified["errors"] == [])
    }
}
