@testable import FathomKit
import Foundation
import HummingbirdTesting
import Testing

/// A `vcenter` source with no `config.command` runs the built-in collector: through the ledger's runs and ingest
/// exactly as a plugin's output would be.
@Suite(.timeLimit(.minutes(10)), .enabled(if: VCSim.available, "needs golang-go and golang-github-vmware-govmomi-dev"))
struct VCenterLedgerCollectorsTests {
    @Test func aVCenterSourceCollectsThroughTheLedger() async throws {
        let sim = try await VCSim.start()
        defer { sim.stop() }
        try await Harness.with(.sqlite) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let sourceId = try await Ledger.createSource(
                    client, admin, type: "vcenter", config: #"{"endpoint":"\#(sim.endpoint)","page_size":2}"#,
                    extra: #","credential":{"username":"user","password":"pass"}"#)
                try await Ledger.withRunner(harness.services) {
                    let detect = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId, mode: "detect"))
                    #expect(detect["detectResult"]?["targetVersion"] == "6.5.0", "\(detect)")
                    harness.clock.advance(by: 1)
                    let collect = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId))
                    #expect(collect["status"] == "Succeeded", "\(collect)")
                    #expect(collect["stats"]?["assets"] == 9)
                    #expect(collect["stats"]?["relations"] == 11)
                }
                let credential = try await client.send(
                    .put, "/api/v1/sources/\(sourceId)/credential", auth: .session(admin), json: #"{"username":"user","password":"nope"}"#)
                #expect(credential.status.code < 300, "\(credential.text)")
                try await Ledger.withRunner(harness.services) {
                    harness.clock.advance(by: 1)
                    let failed = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceId))
                    #expect(failed["status"] == "Failed")
                    #expect(failed["errors"]?.arrayItems.first?["code"] == "VCENTER_AUTH_FAILED", "\(failed)")
                }
            }
        }
    }
}
