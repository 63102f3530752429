@testable import FathomKit
import Foundation
import HummingbirdTesting
import SQLKit
import Testing

/// Fathom's own source (`fathom`, created disabled by the migrations): every DBaaS instance becomes a
/// `database_instance` asset linked to the machine — collected by another source, here the PVE fixture — that carries
/// its endpoint's address; the instance view and the database ledger then say where each database lives.
@Suite(.timeLimit(.minutes(10)))
struct FathomSourceTests {
    /// A project with two instances straight in the store (nothing runs behind them): one reached at the fixture VM
    /// db-vm-01's address, one on loopback (a local instance), and one active database on the first.
    static func seed(_ services: AppServices) async throws -> (project: String, onVM: Int64, onVMId: String, local: String) {
        try await services.store.write { db in
            try await db.raw(
                """
                INSERT INTO projects (id, name, description, quota_instances, quota_storage_gb, created_at, updated_at)
                VALUES ('proj-place', 'placement', '', 10, 100, 0, 0)
                """
            ).run()
            func instance(_ name: String, provider: String, host: String) async throws -> Instance {
                try await InstanceStore.insert(
                    Instance(
                        instanceId: 0, id: "inst-\(name)", projectId: "proj-place", name: name, engine: "postgresql", version: "16",
                        region: "local", provider: provider, state: .RUNNING, resources: Resources(cpu: 1, memory_gb: 1, storage_gb: 1),
                        highAvailability: false, labels: [:], endpoints: [Endpoint(host: host, port: 5432, role: .primary)],
                        connection: nil, sealedCredential: nil, activeOperationId: nil, createdAt: 0, updatedAt: 0),
                    on: db)
            }
            let onVM = try await instance("orders", provider: "external", host: "10.20.0.11")
            let local = try await instance("scratch", provider: "local", host: "127.0.0.1")
            try await db.raw(
                """
                INSERT INTO instance_databases (instance_id, name, is_active, first_seen_date, last_seen_date, created_at, updated_at)
                VALUES (\(bind: onVM.instanceId), 'orders_db', \(bind: true), '2026-12-01', '2026-12-01', 0, 0)
                """
            ).run()
            try await db.raw("UPDATE instances SET active_databases = 1 WHERE instance_id = \(bind: onVM.instanceId)").run()
            return ("proj-place", onVM.instanceId, onVM.id, local.id)
        }
    }

    /// The same through the vCenter simulator, by guest hostname: vcsim/main.go names VM i `<name>.lab` and the first
    /// (DC0_C0_RP0_VM0) runs in cluster DC0_C0.
    @Test(.enabled(if: VCSim.available, "needs golang-go and golang-github-vmware-govmomi-dev"), arguments: Backends.all)
    func aDatabaseInstanceIsLinkedToASimulatedVCenterVM(_ backend: Store.Backend) async throws {
        let sim = try await VCSim.start()
        defer { sim.stop() }
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let services = harness.services
                let seeded = try await Self.seed(services)
                try await services.store.write { db in
                    try await db.raw(
                        "UPDATE instances SET endpoints = \(bind: #"[{"host":"dc0_c0_rp0_vm0.lab","port":5432,"role":"primary"}]"#) WHERE id = \(bind: seeded.onVMId)"
                    ).run()
                }
                let vcenter = try await Ledger.createSource(
                    client, admin, type: "vcenter", config: #"{"endpoint":"\#(sim.endpoint)"}"#,
                    extra: #","credential":{"username":"user","password":"pass"}"#)
                _ = try await client.send(.put, "/api/v1/sources/\(FathomSourceSchema.sourceId)", auth: .session(admin), json: #"{"enabled":true}"#)
                try await Ledger.withRunner(services) {
                    #expect(try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, vcenter))["status"] == "Succeeded")
                    harness.clock.advance(by: 1)
                    let own = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, FathomSourceSchema.sourceId))
                    #expect(own["status"] == "Succeeded", "\(own)")
                }
                let view = try await client.send(.get, "/v1/projects/\(seeded.project)/instances/\(seeded.onVMId)", auth: .session(admin))
                let placement = view.json["instance"]?["runs_on"]
                #expect(placement?["displayName"] == "DC0_C0_RP0_VM0" && placement?["cluster"] == "DC0_C0", "\(view.text)")
                #expect(placement?["host"]?.stringValue?.hasPrefix("DC0_C0_H") == true)
            }
        }
    }

    @Test func addressMatchingPrefersVMsThenTheLatestSighting() {
        func machine(_ kind: String, _ id: String, seen: Int64, ips: [String] = [], hostname: String? = nil, caption: String? = nil)
            -> FathomInstancesStore.Machine
        {
            FathomInstancesStore.Machine(
                sourceId: "src_x", kind: kind, externalId: id, assetUuid: "uuid-\(id)", lastSeenAt: seen,
                normalized: ["identity": ["hostname": hostname.map(JSONValue.string) ?? .null, "caption": caption.map(JSONValue.string) ?? .null],
                             "network": ["ip_addresses": .array(ips.map(JSONValue.string)), "management_ip": "127.0.0.1"]])
        }
        let index = MachineAddressIndex([
            machine("host", "esx-1", seen: 9, ips: ["10.0.0.5"], hostname: "esx-1.lab"),
            machine("vm", "vm-old", seen: 1, ips: ["10.0.0.5"]),
            machine("vm", "vm-new", seen: 5, ips: ["10.0.0.5"], hostname: "db01.lab.example"),
            machine("vm", "vm-named", seen: 5, caption: "reports"),
        ])
        // The VMs beat the host carrying the same address; of two VMs the one seen last wins, and says it was a choice.
        let shared = index.machine(for: ["10.0.0.5"])
        #expect(shared?.machine.externalId == "vm-new" && shared?.ambiguous == true)
        #expect(index.machine(for: ["DB01.lab.example."])?.machine.externalId == "vm-new")
        #expect(index.machine(for: ["db01"])?.machine.externalId == "vm-new")
        #expect(index.machine(for: ["esx-1"])?.machine.externalId == "esx-1")
        #expect(index.machine(for: ["reports"])?.machine.externalId == "vm-named")
        // Loopback identifies no machine; the first address that matches decides.
        #expect(index.machine(for: ["127.0.0.1"]) == nil)
        #expect(index.machine(for: ["10.9.9.9", "esx-1.lab"])?.address == "esx-1.lab")
    }

    @Test(arguments: Backends.all) func aDatabaseInstanceIsLinkedToTheVMCarryingItsAddress(_ backend: Store.Backend) async throws {
        let fixture = try await PVEFixture(PVEFixture.cluster())
        let ca = try await TestCertificates.shared().issuer.caPath
        do {
            try await Harness.with(backend) { harness in
                try await harness.test { client in
                    let admin = try await client.adminSession()
                    let services = harness.services
                    let seeded = try await Self.seed(services)
                    let pve = try await Ledger.createSource(
                        client, admin, type: "pve", config: #"{"endpoint":"\#(fixture.endpoint)","ca_bundle":"\#(ca)"}"#,
                        extra: #","credential":{"token":"\#(PVEFixture.token)"}"#)
                    // The default source exists, disabled; enabling it (and naming this machine) is the operator's choice.
                    let own = try await client.send(.get, "/api/v1/sources/\(FathomSourceSchema.sourceId)", auth: .session(admin))
                    #expect(own.json["data"]?["sourceType"] == "fathom" && own.json["data"]?["enabled"] == false, "\(own.text)")
                    let enabled = try await client.send(
                        .put, "/api/v1/sources/\(FathomSourceSchema.sourceId)", auth: .session(admin),
                        json: #"{"enabled":true,"config":{"local_address":"10.10.0.12"}}"#)
                    #expect(enabled.status == .ok, "\(enabled.text)")
                    let instancePath = "/v1/projects/\(seeded.project)/instances/\(seeded.onVMId)"

                    try await Ledger.withRunner(services) {
                        let infrastructure = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, pve))
                        #expect(infrastructure["status"] == "Succeeded", "\(infrastructure)")
                        // Before Fathom's own source has run, nothing is known: the field is left out.
                        let before = try await client.send(.get, instancePath, auth: .session(admin))
                        #expect(before.status == .ok && before.json["instance"]?["runs_on"] == nil, "\(before.text)")

                        harness.clock.advance(by: 1)
                        let collect = try await Ledger.finished(
                            client, admin, try await Ledger.trigger(client, admin, FathomSourceSchema.sourceId))
                        #expect(collect["status"] == "Succeeded", "\(collect)")
                        #expect(collect["stats"]?["assets"] == 2 && collect["stats"]?["relations"] == 2)
                    }
                    let vm = try #require(try await Ledger.value(
                        services, "SELECT asset_uuid AS v FROM asset_source_links WHERE external_id = 'prod/qemu/100'"))
                    let node = try #require(try await Ledger.value(
                        services, "SELECT asset_uuid AS v FROM asset_source_links WHERE external_id = 'prod/node/pve2'"))

                    let view = try await client.send(.get, instancePath, auth: .session(admin))
                    #expect(view.json["instance"]?["runs_on"] == [
                        "assetUuid": .string(vm), "displayName": "db-vm-01", "host": "pve1", "cluster": "prod",
                    ], "\(view.text)")
                    // On loopback: this machine, named by the source's local_address — a host, its own host.
                    let local = try await client.send(.get, "/v1/projects/\(seeded.project)/instances/\(seeded.local)", auth: .session(admin))
                    #expect(local.json["instance"]?["runs_on"] == [
                        "assetUuid": .string(node), "displayName": "pve2", "host": "pve2", "cluster": "prod",
                    ], "\(local.text)")

                    let ledger = try await client.send(.get, "/api/v1/databases/ledgers", auth: .session(admin))
                    let item = try #require(ledger.json["data"]?["items"]?.arrayItems.first { $0["database_name"] == "orders_db" })
                    #expect(item["runs_on"]?["assetUuid"] == .string(vm) && item["runs_on"]?["host"] == "pve1", "\(ledger.text)")

                    // The database's asset: its fields and its edge to the VM, across the two sources.
                    let asset = try #require(try await Ledger.value(
                        services, "SELECT asset_uuid AS v FROM asset_source_links WHERE external_id = '\(seeded.onVMId)'"))
                    let detail = try await client.send(.get, "/api/v1/assets/\(asset)", auth: .session(admin))
                    let fields = detail.json["data"]?["canonical"]?["fields"]
                    #expect(detail.json["data"]?["assetType"] == "database_instance")
                    #expect(fields?["attributes"]?["engine"]?["value"] == "postgresql" && fields?["attributes"]?["state"]?["value"] == "RUNNING")
                    #expect(fields?["attributes"]?["endpoint"]?["value"] == "10.20.0.11:5432")
                    #expect(fields?["attributes"]?["project_id"]?["value"] == "proj-place")
                    let outgoing = detail.json["data"]?["canonical"]?["relations"]?["outgoing"]?.arrayItems.first
                    #expect(outgoing?["type"] == "runs_on" && outgoing?["to"]?["assetUuid"] == .string(vm), "\(detail.text)")

                    // The database moves to app-vm-01 and the scratch instance is deleted: the next collect re-decides.
                    try await services.store.write { db in
                        try await db.raw(
                            "UPDATE instances SET endpoints = \(bind: #"[{"host":"10.20.0.12","port":5432,"role":"primary"}]"#) WHERE id = \(bind: seeded.onVMId)"
                        ).run()
                        try await db.raw("UPDATE instances SET state = 'DELETED' WHERE id = \(bind: seeded.local)").run()
                    }
                    try await Ledger.withRunner(services) {
                        harness.clock.advance(by: 1)
                        let again = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, FathomSourceSchema.sourceId))
                        #expect(again["status"] == "Succeeded", "\(again)")
                    }
                    let moved = try await client.send(.get, instancePath, auth: .session(admin))
                    #expect(moved.json["instance"]?["runs_on"]?["displayName"] == "app-vm-01" && moved.json["instance"]?["runs_on"]?["host"] == "pve2",
                            "\(moved.text)")
                    #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_relations WHERE from_asset_uuid = '\(asset)' AND status = 'inactive'") == 1)
                    #expect(try await Ledger.value(
                        services, "SELECT presence_status AS v FROM asset_source_links WHERE external_id = '\(seeded.local)'") == "missing")
                }
            }
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}
