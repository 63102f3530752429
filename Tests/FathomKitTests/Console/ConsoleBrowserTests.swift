@testable import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The console used as a person uses it, in headless Chromium against a live server: sign in (and back to the page
/// asked for), create an instance and watch it reach RUNNING, create a backup and a database user, filter the
/// ledger and download the CSV, switch capacity periods, switch language, sign out. Every page is checked at
/// 1280 and 390 px for console errors, failed requests and horizontal scroll; screenshots stay in the folder
/// the failure names.
@Suite(.timeLimit(.minutes(10)), .serialized) struct ConsoleBrowserTests {
    @Test func aPersonUsesTheConsole() async throws {
        guard Browser.enabled else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-console-screenshots-\(UUID().uuidString)")
        let downloads = folder.appendingPathComponent("downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        try await Harness.with(.sqlite) { harness in
            let fixture = DBaaSFixture(harness)
            _ = fixture.provider
            _ = try await DemoSeeder.seed(services: harness.services, instances: 2, databasesPerInstance: 6, days: 60)
            let runner = fastRunner(harness.services)
            let loops = runner.start()
            do {
                try await buildApplication(services: harness.services).test(.live) { client in
                    let origin = "http://localhost:\(client.port!)"
                    let admin = try await client.adminSession()
                    let project = try await client.createProject(.session(admin), name: "console-e2e")
                    try await Browser.with(downloads: downloads) { driver in
                        var pages = ConsolePageCheck(driver: driver, origin: origin, folder: folder)
                        try await Self.signIn(driver, pages, origin: origin, project: project)
                        let instancePath = try await Self.createInstance(driver, pages, project: project)
                        try await Self.backupAndUser(driver, pages)
                        try await Self.ledger(driver, pages, origin: origin, downloads: downloads)
                        try await Self.capacity(driver, pages, origin: origin)

                        try await pages.check("dashboard", "/")
                        try await pages.check("instances", "/projects/\(project)/instances")
                        try await pages.check("instance", instancePath)
                        try await pages.check("ledger", "/databases")
                        try await pages.check("database", "/databases/1")
                        try await pages.check("capacity-weekly", "/capacity?period_type=weekly")
                        try await pages.check("capacity-databases", "/capacity?subject=databases&period_type=monthly")
                        try await pages.check("profile", "/profile")
                        try await pages.check("tokens", "/tokens")
                        try await Self.destructiveActions(driver, pages, origin: origin, instancePath: instancePath)

                        try await Self.language(driver, pages, origin: origin)
                        try await Self.signOut(driver, pages, origin: origin)
                        try await pages.check("login", "/login")
                        #expect(pages.problems.isEmpty, "\(pages.problems.joined(separator: "\n"))\nscreenshots: \(folder.path)")
                        if pages.problems.isEmpty, ProcessInfo.processInfo.environment["FATHOM_TEST_KEEP"] == nil {
                            try? FileManager.default.removeItem(at: folder)
                        }
                    }
                }
            } catch {
                await runner.stop(loops)
                Issue.record("console browser test failed: \(error)\nscreenshots: \(folder.path)")
                return
            }
            await runner.stop(loops)
        }
    }

    /// A page asked for without a session leads to sign-in (by keyboard) and back to it.
    static func signIn(_ driver: WebDriver, _ pages: ConsolePageCheck, origin: String, project: String) async throws {
        let target = "/projects/\(project)/instances"
        try await driver.go(origin + target)
        try await driver.wait("sign-in page", "return location.pathname === '/login'")
        #expect(try await driver.currentURL().contains("next=%2Fprojects%2F\(project)%2Finstances"))
        try await pages.settle()
        try await driver.keys("admin\u{E004}\(Harness.adminPassword)\u{E007}")
        try await driver.wait("back at the page asked for", "return location.pathname === arguments[0]", [target])
        try await pages.settle()
    }

    static func createInstance(_ driver: WebDriver, _ pages: ConsolePageCheck, project: String) async throws -> String {
        try await driver.type("#ci-name", "web-e2e")
        _ = try await driver.execute(
            "const s = document.getElementById('ci-provider'); s.value = 'scripted'; s.dispatchEvent(new Event('change'));")
        try await driver.click("#create-instance button[type=submit]")
        try await driver.wait("instance page", "return /\\/instances\\/inst-/.test(location.pathname)")
        try await driver.waitForText("#inst-state", "Running", timeout: .seconds(30))
        try await driver.waitForText("#operations", "CREATE", timeout: .seconds(10))
        try await driver.wait("operation finished", "return !!document.querySelector('#operations .state-succeeded')")
        let path = try await driver.execute("return location.pathname") as? String ?? ""
        return path
    }

    static func backupAndUser(_ driver: WebDriver, _ pages: ConsolePageCheck) async throws {
        try await pages.settle()
        try await driver.click("#create-backup")
        try await driver.waitForText("#backups-table tbody", "Succeeded", timeout: .seconds(30))
        try await driver.type("#cu-name", "app_reader")
        try await driver.click("#create-user button")
        try await driver.wait("password shown once", "const c = document.getElementById('user-password'); return !!c && c.textContent.length > 8")
        try await driver.waitForText("#users-table tbody", "app_reader")
        try await pages.settle()
    }

    static func ledger(_ driver: WebDriver, _ pages: ConsolePageCheck, origin: String, downloads: URL) async throws {
        try await driver.go(origin + "/databases")
        try await pages.settle()
        try await driver.type("#lf-search", "app_3")
        try await driver.click("#ledger-filter button[type=submit]")
        try await driver.wait(
            "filtered ledger",
            """
            const rows = [...document.querySelectorAll('#ledger-table tbody tr')];
            return rows.length > 0 && rows.every(r => r.textContent.includes('app_3'));
            """)
        #expect(try await driver.execute("return document.getElementById('ledger-export').getAttribute('href')") as? String
            == "/api/v1/databases/ledgers/exports?search=app_3")
        try await driver.click("#ledger-export")
        let deadline = ContinuousClock.now + .seconds(20)
        var csv: String?
        while csv == nil, ContinuousClock.now < deadline {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: downloads.path)) ?? []
            if let file = files.first(where: { $0.hasSuffix(".csv") }) {
                csv = try? String(contentsOf: downloads.appendingPathComponent(file), encoding: .utf8)
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let text = try #require(csv, "the CSV was not downloaded")
        let lines = text.split(whereSeparator: \.isNewline).dropFirst()
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.contains("app_3") })
    }

    static func capacity(_ driver: WebDriver, _ pages: ConsolePageCheck, origin: String) async throws {
        try await driver.go(origin + "/capacity")
        try await pages.settle()
        for period in ["weekly", "monthly", "quarterly", "daily"] {
            try await driver.click("#period-switch a[data-period=\(period)]")
            try await driver.wait("\(period) selected", "return new URLSearchParams(location.search).get('period_type') === arguments[0]", [period])
            try await pages.settle()
            #expect(try await driver.execute("return document.querySelector('#period-switch [aria-current=page]').dataset.period") as? String == period)
            #expect(try await driver.execute("return document.querySelectorAll('#capacity-table tbody tr').length") as? Int ?? 0 > 0)
            #expect(try await driver.execute("return document.querySelectorAll('svg.chart circle').length") as? Int ?? 0 > 0)
        }
    }

    /// Destructive actions ask first: cancelling the confirmation changes nothing; accepting it deletes the backup and
    /// drops the user; the instance goes only when its exact name is typed.
    static func destructiveActions(_ driver: WebDriver, _ pages: ConsolePageCheck, origin: String, instancePath: String) async throws {
        try await driver.go(origin + instancePath)
        try await pages.settle()
        try await driver.waitForText("#backups-table tbody", "Succeeded")
        let backup = try await driver.execute("return document.querySelector('#backups-table tbody tr[data-backup-id]').dataset.backupId") as? String ?? ""
        let deleteBackup = "#backups-table tr[data-backup-id='\(backup)'] button.danger"
        try await driver.click(deleteBackup)
        #expect(try await driver.alertText().contains(backup))
        try await driver.dismissAlert()
        try await pages.settle()
        #expect(try await driver.text("#backups-table tr[data-backup-id='\(backup)']").contains("Succeeded"))
        try await driver.click(deleteBackup)
        try await driver.acceptAlert()
        try await driver.wait(
            "backup deleted", timeout: .seconds(30),
            "const r = document.querySelector(`#backups-table tr[data-backup-id='${arguments[0]}']`); return !r || /Delet/.test(r.textContent);", [backup])

        try await driver.click("#users-table tr[data-user='app_reader'] button.danger")
        #expect(try await driver.alertText().contains("app_reader"))
        try await driver.acceptAlert()
        try await driver.wait(
            "user dropped", timeout: .seconds(30),
            "const r = document.querySelector(\"#users-table tr[data-user='app_reader']\"); return !r || /Delet|Drop/.test(r.textContent);")
        try await pages.settle()

        try await driver.type("#del-confirm", "not-the-name")
        try await driver.click("#delete-form button[type=submit]")
        try await driver.waitForText("#flash", "exact name")
        #expect(try await driver.execute("return location.pathname") as? String == instancePath)
        try await driver.type("#del-confirm", "web-e2e")
        try await driver.click("#delete-form button[type=submit]")
        try await driver.wait("back at the list", "return /\\/instances$/.test(location.pathname)")
        try await pages.settle()
    }

    /// The language switch is remembered across pages.
    static func language(_ driver: WebDriver, _ pages: ConsolePageCheck, origin: String) async throws {
        try await driver.go(origin + "/")
        try await pages.settle()
        try await driver.click("button[data-lang=zh]")
        try await driver.waitForText("nav", "概览")
        try await driver.go(origin + "/capacity")
        try await driver.waitForText("#period-switch", "按周")
        try await pages.settle()
        try await driver.click("button[data-lang=en]")
        try await driver.waitForText("nav", "Dashboard")
        try await pages.settle()
    }

    static func signOut(_ driver: WebDriver, _ pages: ConsolePageCheck, origin: String) async throws {
        try await driver.click("#sign-out")
        try await driver.wait("sign-in page", "return location.pathname === '/login'")
        try await driver.go(origin + "/")
        try await driver.wait("sent to sign in", "return location.pathname === '/login'")
        try await pages.settle()
    }
}
