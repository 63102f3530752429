@testable import FathomKit
import Foundation
import HummingbirdTesting
import Testing

/// A `pve` source collected through the ledger's runs and ingest against the HTTPS fixture: a VM live-migrated
/// between two runs is still the same asset (now on its new host), and a node that does not answer fails the run
/// as incomplete without moving anything.
@Suite(.timeLimit(.minutes(10)))
struct PVELedgerCollectorsTests {
    /// The new config keys are checked when a source is saved: a typo is a 400 naming the field, not a failed run later.
    @Test(arguments: Backends.all) func newSourceConfigKeysAreValidated(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                for (type, config, field) in [
                    ("pve", #"{"endpoint":"https://pve:8006","scope":"galaxy"}"#, "config.scope"),
                    ("pve", #"{"endpoint":"https://pve:8006","max_parallel_nodes":0}"#, "config.max_parallel_nodes"),
                    ("fathom", #"{"local_address":""}"#, "config.local_address"),
                ] {
                    let bad = try await client.send(
                        .post, "/api/v1/sources", auth: .session(admin), json: #"{"name":"x","sourceType":"\#(type)","config":\#(config)}"#)
                    #expect(bad.status == .badRequest && bad.json["error"]?["details"]?.arrayElements.first?["field"] == .string(field), "\(bad.text)")
                }
                // Fathom's own type needs no endpoint and no credential.
                let own = try await client.send(
                    .post, "/api/v1/sources", auth: .session(admin), json: #"{"name":"fathom-2","sourceType":"fathom","config":{}}"#)
                #expect(own.status == .created, "\(own.text)")
            }
        }
    }

    @Test(arguments: Backends.all) func aMigratedVMKeepsItsAssetAndANodeDownChangesNothing(_ backend: Store.Backend) async throws {
        let fixture = try await PVEFixture(PVEFixture.cluster())
        let ca = try await TestCertificates.shared().issuer.caPath
        do {
            try await Harness.with(backend) { harness in
                try await harness.test { client in
                    let admin = try await client.adminSession()
                    let sourceId = try await Ledger.createSource(
                        client, admin, type: "pve",
                        config: #"{"endpoint":"\#(fixture.endpoint)","ca_bundle":"\#(ca)","scope":"cluster","max_parallel_nodes":2}"#,
                        extra: #","credential":{"token":"\#(PVEFixture.token)"}"#)
                    let services = harness.services
                    func vmUuid() async throws -> String? {
                        try await Ledger.value(services, "SELECT asset_uuid AS v FROM asset_source_links WHERE external_id = 'prod/qemu/100'")
                    }
                    func runsOn(_ uuid: String, status: String) async throws -> String? {
                        try await Ledger.value(services, """
                            SELECT l.external_id AS v FROM asset_relations r JOIN asset_source_links l ON l.asset_uuid = r.to_asset_uuid
                            WHERE r.from_asset_uuid = '\(uuid)' AND r.relation_type = 'runs_on' AND r.status = '\(status)'
                            """)
                    }
                    try await Ledger.withRunner(services) {
                        let first = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId))
                        #expect(first["status"] == "Succeeded", "\(first)")
                        #expect(first["stats"]?["assets"] == 7)
                        let uuid = try #require(try await vmUuid())
                        #expect(try await runsOn(uuid, status: "active") == "prod/node/pve1")

                        fixture.migrate(100, to: "pve3")
                        harness.clock.advance(by: 1)
                        let second = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId))
                        #expect(second["status"] == "Succeeded", "\(second)")
                        #expect(second["stats"]?["ingest"]?["assetsCreated"] == 0)
                        #expect(try await vmUuid() == uuid)
                        #expect(try await runsOn(uuid, status: "active") == "prod/node/pve3")
                        #expect(try await runsOn(uuid, status: "inactive") == "prod/node/pve1")

                        fixture.change { $0.nodes[1].online = false }
                        harness.clock.advance(by: 1)
                        let third = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId))
                        #expect(third["status"] == "Failed")
                        #expect(third["errors"]?.arrayElements.first?["code"] == "INVENTORY_INCOMPLETE", "\(third)")
                        #expect(third["warnings"]?.arrayElements.contains { $0.stringValue?.contains("pve2") == true } == true, "\(third)")
                        #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM asset_source_links WHERE presence_status = 'missing'") == 0)
                        #expect(try await Ledger.count(services, "SELECT COUNT(*) AS n FROM assets WHERE status = 'offline'") == 0)
                    }
                }
            }
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}
