@testable import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The asset ledger used in Chromium as a person keeps it: add a source running the fixture collector, collect,
/// follow the run, open the VM it found (relation graph drawn), edit a hand-kept field, then settle a duplicate
/// pair — a merge the rules refuse is explained, a merge changed one's mind about is not done, the allowed one is.
/// Part of the browser suite so the two browser tests never run at once on a 2-core machine.
extension ConsoleBrowserTests {
    /// Nested, so the browser suite's `.serialized` keeps it from running beside the other browser tests.
    @Suite(.timeLimit(.minutes(10))) struct AssetLedgerInTheBrowser {
        static func configA() -> String {
            Ledger.execConfig(#""clusters":["c-1"],"hosts":{"h-1":"c-1"},"vms":{"vm-1":"h-1"},"normalized":{"vm-1":{"identity":{"hostname":"app-a","caption":"vm-1","machine_uuid":"4211-aa"}}}"#)
        }

        /// Source B sees the same machine (its machine_uuid differs only in case) until it stops reporting it.
        static func configB(reportsVM: Bool) -> String {
            let vms = reportsVM ? #""vm-b1":"hb-1""# : ""
            return Ledger.execConfig(#""clusters":["cb-1"],"hosts":{"hb-1":"cb-1"},"vms":{\#(vms)},"normalized":{"vm-b1":{"identity":{"hostname":"app-b","caption":"vm-b1","machine_uuid":"4211-AA"}}}"#)
        }

        @Test func aPersonKeepsTheAssetLedger() async throws {
            guard Browser.enabled else { return }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-ledger-screenshots-\(UUID().uuidString)")
            let downloads = folder.appendingPathComponent("downloads")
            try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
            try await Harness.with(.sqlite) { harness in
                let runner = fastRunner(harness.services)
                let loops = runner.start()
                do {
                    try await buildApplication(services: harness.services).test(.live) { client in
                        let origin = "http://localhost:\(client.port!)"
                        let admin = try await client.adminSession()
                        let sourceB = try await Ledger.createSource(client, admin, name: "vcenter-b", config: Self.configB(reportsVM: true))
                        try await Browser.with(downloads: downloads) { driver in
                            var pages = ConsolePageCheck(driver: driver, origin: origin, folder: folder)
                            try await driver.go(origin + "/login")
                            try await pages.settle()
                            try await driver.keys("admin\u{E004}\(Harness.adminPassword)\u{E007}")
                            try await driver.wait("signed in", "return location.pathname === '/'")

                            let runPath = try await Self.collectThroughANewSource(driver, pages, origin: origin)
                            let vm = try await Self.openTheVMAndEditAField(driver, pages, origin: origin)
                            _ = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceB))
                            let vmB = try #require(try await client.send(.get, "/api/v1/assets?q=vm-b1", auth: .session(admin))
                                .json["data"]?.arrayItems.first?["assetUuid"]?.stringValue)
                            #expect(try await waitUntil(timeout: .seconds(30)) {
                                try await client.send(.get, "/api/v1/duplicate-candidates?assetType=vm", auth: .session(admin))
                                    .json["pagination"]?["total"] == 1
                            })
                            try await pages.check("duplicates", "/inventory/duplicates")
                            try await Self.mergeTheDuplicates(driver, pages, origin: origin, vm: vm, vmB: vmB) {
                                let put = try await client.send(
                                    .put, "/api/v1/sources/\(sourceB)", auth: .session(admin),
                                    json: #"{"config":\#(Self.configB(reportsVM: false))}"#)
                                #expect(put.status == .ok)
                                _ = try await Ledger.finished(client, admin, try await Ledger.trigger(client, admin, sourceB))
                            }

                            try await Self.cancelARun(driver, pages, origin: origin, folder: folder) { config in
                                let source = try await Ledger.createSource(client, admin, name: "slow", config: config)
                                return try await Ledger.trigger(client, admin, source)
                            }

                            for (name, path) in [
                                ("assets", "/inventory/assets"), ("asset", "/inventory/assets/\(vm)"), ("sources", "/inventory/sources"),
                                ("runs", "/inventory/runs"), ("run", runPath), ("audit", "/admin/audit"),
                            ] {
                                try await pages.check(name, path)
                            }
                            #expect(pages.problems.isEmpty, "\(pages.problems.joined(separator: "\n"))\nscreenshots: \(folder.path)")
                            if pages.problems.isEmpty, ProcessInfo.processInfo.environment["FATHOM_TEST_KEEP"] == nil {
                                try? FileManager.default.removeItem(at: folder)
                            }
                        }
                    }
                } catch {
                    await runner.stop(loops)
                    Issue.record("ledger browser test failed: \(error)\nscreenshots: \(folder.path)")
                    return
                }
                await runner.stop(loops)
            }
        }

        /// Adds a source by the form (the credential typed once, never shown back), collects, and follows the run.
        static func collectThroughANewSource(_ driver: WebDriver, _ pages: ConsolePageCheck, origin: String) async throws -> String {
            try await driver.go(origin + "/inventory/sources")
            try await pages.settle()
            try await driver.type("#gf-name", "nightly")
            try await driver.type("#gf-at", "02:30")
            try await driver.click("#group-form button[type=submit]")
            try await driver.waitForText("#groups-table tbody", "02:30")
            try await pages.settle()
            try await driver.type("#sf-name", "vcenter-a")
            _ = try await driver.execute(
                """
                const f = document.getElementById('source-form'); f.sourceType.value = 'exec'; f.config.value = arguments[0];
                f.scheduleGroupId.value = [...f.scheduleGroupId.options].find(o => o.textContent === 'nightly').value;
                """, [configA()])
            try await driver.type("#sf-user", "collector")
            try await driver.type("#sf-password", "s3cret-pass")
            try await driver.click("#source-form button[type=submit]")
            try await driver.waitForText("#sources-table tbody", "vcenter-a")
            try await driver.waitForText("#sources-table tbody", "nightly")
            #expect(try await driver.execute("return document.body.innerHTML.includes('s3cret-pass')") as? Bool == false)
            let row = "return [...document.querySelectorAll('#sources-table tbody tr')].find(r => r.textContent.includes('vcenter-a'))"
            try await driver.clickFound("collect button", row + ".querySelector('button.trigger')")
            try await driver.waitForText("#flash", "queued")
            try await pages.settle()
            try await driver.go(origin + "/inventory/runs")
            try await driver.waitForText("#ledger-runs-table tbody", "Succeeded", timeout: .seconds(30))
            try await pages.settle()
            try await driver.click("#ledger-runs-table tbody a")
            try await driver.wait("run page", "return location.pathname.startsWith('/inventory/runs/run_')")
            try await driver.waitForText("#run-status", "Succeeded")
            try await driver.waitForText("#run-stats", "Assets")
            #expect(try await driver.execute("return document.getElementById('run-cancel').offsetParent === null") as? Bool == true)
            try await pages.settle()
            return try await driver.execute("return location.pathname") as? String ?? ""
        }

        /// Finds the VM by the list's filters, opens it and keeps an owner by hand; returns its uuid.
        static func openTheVMAndEditAField(_ driver: WebDriver, _ pages: ConsolePageCheck, origin: String) async throws -> String {
            try await driver.go(origin + "/inventory/assets")
            try await pages.settle()
            _ = try await driver.execute("document.getElementById('af-type').value = 'vm';")
            try await driver.type("#af-q", "vm-1")
            try await driver.click("#asset-filter button[type=submit]")
            try await driver.wait("filtered assets", "const rows = document.querySelectorAll('#assets-table tbody tr a'); return rows.length === 1;")
            #expect(try await driver.execute("return document.getElementById('asset-export').getAttribute('href')") as? String
                == "/api/v1/assets/exports?q=vm-1&assetType=vm")
            try await driver.click("#assets-table tbody a")
            try await driver.wait("asset page", "return location.pathname.startsWith('/inventory/assets/')")
            try await pages.settle()
            try await driver.waitForText("#fields-table", "identity.hostname")
            #expect(try await driver.execute("return document.querySelectorAll('svg.graph a').length") as? Int == 2)  // host, cluster
            try await driver.type("#lf-ownership-owner_name", "alice")
            try await driver.click("#ledger-fields button[type=submit]")
            try await driver.waitForText("tr[data-field='ownership.owner_name']", "alice")
            try await driver.waitForText("tr[data-field='ownership.owner_name']", "manual")
            try await driver.waitForText("#asset-history", "Hand-kept fields edited")
            try await pages.settle()
            let path = try await driver.execute("return location.pathname") as? String ?? ""
            return String(path.dropFirst("/inventory/assets/".count))
        }

        /// A run that hangs is followed live and cancelled from its page, after a confirmation.
        static func cancelARun(
            _ driver: WebDriver, _ pages: ConsolePageCheck, origin: String, folder: URL, start: (String) async throws -> String
        ) async throws {
            let pidFile = folder.appendingPathComponent("slow.pid").path
            let run = try await start(Ledger.execConfig(#""scenario":"sleep","pid_file":"\#(pidFile)""#))
            try await driver.go(origin + "/inventory/runs/\(run)")
            try await driver.waitForText("#run-status", "Running", timeout: .seconds(30))
            try await driver.wait("cancel offered", "return !document.getElementById('run-cancel').hidden")
            try await driver.click("#run-cancel")
            #expect(try await driver.alertText().contains(run))
            try await driver.acceptAlert()
            try await driver.waitForText("#run-status", "Cancelled", timeout: .seconds(30))
            try await pages.settle()
        }

        static func mergeTheDuplicates(
            _ driver: WebDriver, _ pages: ConsolePageCheck, origin: String, vm: String, vmB: String,
            takeVMBOffline: () async throws -> Void
        ) async throws {
            try await driver.go(origin + "/inventory/duplicates?")
            try await pages.settle()
            try await driver.waitForText("#candidates", "app-b")
            #expect(try await driver.execute("return document.querySelectorAll('#candidates tr.diff').length") as? Int ?? 0 > 0)
            // Both VMs are in service: the rules refuse, and the page says why.
            try await driver.click("button.merge[data-primary='\(vm)']")
            #expect(try await driver.alertText().contains("vm-b1"))
            try await driver.acceptAlert()
            try await driver.waitForText("#flash", "only absorb VMs that are offline")
            // Changing one's mind at the confirmation merges nothing.
            try await driver.click("button.merge[data-primary='\(vm)']")
            try await driver.dismissAlert()
            try await pages.settle()
            let vmPairs = "return [...document.querySelectorAll('#candidates li.candidate')].filter(li => li.textContent.includes('vm-b1')).length"
            #expect(try await driver.execute(vmPairs) as? Int == 1)

            try await takeVMBOffline()
            try await driver.go(origin + "/inventory/duplicates")
            try await pages.settle()
            try await driver.waitForText("#candidates", "Offline")
            try await driver.click("button.merge[data-primary='\(vm)']")
            try await driver.acceptAlert()
            try await driver.waitForText("#flash", "Merged into")
            try await driver.wait("the pair settled", vmPairs + " === 0")
            try await pages.settle()
            try await driver.go(origin + "/inventory/assets/\(vmB)")
            try await driver.waitForText("#asset-merged", "merged into")
            try await pages.settle()
        }
    }
}
