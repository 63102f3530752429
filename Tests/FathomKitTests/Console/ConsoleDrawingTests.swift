@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The server-drawn pictures of the console's second part without a browser: an asset's relation graph (inactive
/// edges dashed, missing edges explained) and an instance's operations timeline, on both backends.
@Suite(.timeLimit(.minutes(10))) struct ConsoleDrawingTests {
    @Test(arguments: Backends.all)
    func assetPageDrawsTheRelationChain(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let admin = try await client.adminSession()
                let source = try await Ledger.createSource(client, admin, name: "vcenter-draw")
                func collect(_ inventory: String) async throws {
                    let put = try await client.send(
                        .put, "/api/v1/sources/\(source)", auth: .session(admin), json: #"{"config":\#(Ledger.execConfig(inventory))}"#)
                    #expect(put.status == .ok)
                    harness.clock.advance(by: 60)
                    let run = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, source))
                    #expect(run["status"] == "Succeeded", "\(run)")
                }
                func uuid(_ q: String) async throws -> String {
                    let list = try await client.send(.get, "/api/v1/assets?q=\(q)", auth: .session(admin)).json
                    return try #require(list["data"]?.arrayItems.first?["assetUuid"]?.stringValue)
                }
                try await Ledger.withRunner(harness.services) {
                    try await collect(#""clusters":["c-1"],"hosts":{"h-1":"c-1","h-2":"c-1"},"vms":{"vm-1":"h-1"},"dangling":{"vm-3":"h-404"},"databases":{"inst-db1":"vm-1"}"#)
                    // vm-1 moves to h-2: its edge to h-1 stays, inactive.
                    try await collect(#""clusters":["c-1"],"hosts":{"h-1":"c-1","h-2":"c-1"},"vms":{"vm-1":"h-2"},"dangling":{"vm-3":"h-404"},"databases":{"inst-db1":"vm-1"}"#)
                }
                let (vm1, h1, h2, cluster, vm3) = (try await uuid("vm-1"), try await uuid("h-1"), try await uuid("h-2"), try await uuid("c-1"), try await uuid("vm-3"))

                let page = try await client.send(.get, "/inventory/assets/\(vm1)", auth: .session(admin))
                #expect(page.status == .ok)
                let svg = try #require(page.text.range(of: #"<svg class="chart graph""#).map { String(page.text[$0.lowerBound...]) })
                #expect(svg.contains(#"<g class="node current vm">"#))
                for target in [h1, h2, cluster] { #expect(svg.contains(#"<a href="/inventory/assets/\#(target)">"#), "\(target)") }
                #expect(svg.components(separatedBy: #"<g class="edge active">"#).count - 1 == 3)  // vm→h-2, h-1→c-1, h-2→c-1
                #expect(svg.components(separatedBy: #"<g class="edge inactive">"#).count - 1 == 1)  // vm→h-1
                #expect(page.text.contains(#"data-subject-id="\#(vm1)""#))
                // The database instance on the VM is listed on it, as the relations route's `incoming` says.
                let database = try await uuid("inst-db1")
                #expect(page.text.contains(#"<li><a href="/inventory/assets/\#(database)">inst-db1</a> <span class="muted">Database instance · runs_on</span>"#))
                let relations = try await client.send(.get, "/api/v1/assets/\(vm1)/relations", auth: .session(admin)).json["data"]
                #expect(relations?["incoming"]?.arrayItems.first?["from"]?["assetUuid"]?.stringValue == database)

                let dangling = try await client.send(.get, "/inventory/assets/\(vm3)", auth: .session(admin), headers: [.acceptLanguage: "zh-CN"])
                #expect(dangling.text.contains(#"<g class="node missing">"#))
                #expect(dangling.text.contains("来源报告了该关系，但未采集其目标"))
                #expect(dangling.text.contains("host h-404"))

                let unknown = try await client.send(.get, "/inventory/assets/\(UUID().uuidString.lowercased())", auth: .session(admin))
                #expect(unknown.status == .notFound)
            }
        }
    }

    @Test(arguments: Backends.all)
    func instancePageDrawsItsOperationsTimeline(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            let fixture = DBaaSFixture(harness)
            try await harness.test { client in
                let session = try await client.adminSession()
                let project = try await client.createProject(.session(session), name: "timeline")
                let created = try await client.createInstance(.session(session), project: project, name: "drawn")
                let instance = try #require(created.json["instance"]?["id"]?.stringValue)
                let operation = try #require(created.json["operation"]?["id"]?.stringValue)
                #expect(try await fixture.runJobs { try await fixture.operationState(operation) == "SUCCEEDED" })
                let page = try await client.send(.get, "/projects/\(project)/instances/\(instance)", auth: .session(session))
                #expect(page.text.contains(#"<div class="chart-wrap" id="ops-timeline"><svg class="chart timeline-chart""#))
                #expect(page.text.contains(#"<g class="op succeeded" data-operation="\#(operation)">"#))
                #expect(page.text.contains("<title>Create instance · Succeeded · 100%"))
                #expect(page.text.contains("No collector has reported this instance"))
                // A collector reports the instance on a VM: the instance page links its machine chain.
                let source = try await Ledger.createSource(
                    client, session, config: Ledger.execConfig(#""clusters":["c-1"],"hosts":{"h-1":"c-1"},"vms":{"vm-1":"h-1"},"databases":{"\#(instance)":"vm-1"}"#))
                try await Ledger.withRunner(harness.services) {
                    _ = try await Ledger.finished(client, session, try await Ledger.trigger(client, session, source))
                }
                let linked = try await client.send(.get, "/projects/\(project)/instances/\(instance)", auth: .session(session)).text
                let machine = try #require(linked.range(of: #"<p id="inst-machine">"#).map { String(linked[$0.lowerBound...].prefix(800)) })
                for name in ["vm-1", "h-1", "c-1"] { #expect(machine.contains(">\(name)</a>"), "\(name)") }
                // Another project's instance draws nothing for a principal without access to it.
                _ = try await harness.createUser("timeline-member", role: .member)
                let member = try await client.login("timeline-member", "password-123")
                let hidden = try await client.send(.get, "/projects/\(project)/instances/\(instance)", auth: .session(member))
                #expect(hidden.status == .ok && !hidden.text.contains("timeline-chart"))
            }
        }
    }

    @Test func timelineMarksStatesWithoutColour() {
        let labels = OperationTimeline.Labels(title: "Ops", empty: "none", state: { $0 }, type: { $0 })
        let svg = OperationTimeline.svg([
            .init(id: "op-1", type: "CREATE_INSTANCE", state: "SUCCEEDED", progress: 100, start: 0, end: 60_000),
            .init(id: "op-2", type: "RESTART_INSTANCE", state: "FAILED", progress: 40, start: 70_000, end: 80_000, error: "boom <x>"),
            .init(id: "op-3", type: "CREATE_BACKUP", state: "RUNNING", progress: 50, start: 90_000, end: nil),
        ], now: 110_000, labels: labels)
        #expect(svg.contains(#"<g class="op failed" data-operation="op-2">"#))
        #expect(svg.contains("boom &lt;x&gt;"))
        // Only the running one has a progress fill, half its span.
        #expect(svg.components(separatedBy: #"<rect class="done""#).count - 1 == 1)
        #expect(svg.contains(">00:00:00<") && svg.contains(">00:01:50<"))
        #expect(OperationTimeline.svg([], now: 0, labels: labels).contains(">none<"))
    }
}
