@testable import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Database accounts in Chromium, against a real PostgreSQL instance of the local provider: sync its accounts from
/// the ledger page, add a rule (an invalid expression is named while typing) and see the account's class change,
/// read the account's privileges, then clear the instance's cache entries (with confirmation) and see them go.
extension ConsoleBrowserTests {
    /// Nested, so the browser suite's `.serialized` keeps it from running beside the other browser tests.
    @Suite(.timeLimit(.minutes(10))) struct AccountsInTheBrowser {
        @Test(.enabled(if: TestPostgres.isAvailable, "PostgreSQL server binaries not found"))
        func aPersonReviewsDatabaseAccounts() async throws {
            guard Browser.enabled else { return }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-accounts-screenshots-\(UUID().uuidString)")
            let downloads = folder.appendingPathComponent("downloads")
            try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
            // Ports of its own: no other test's servers listen here.
            try await Harness.with(.sqlite, configure: { $0.localPorts = 21460...21479 }) { harness in
                let fixture = DBaaSFixture(harness)
                typealias L = LocalProviderTests
                do {
                    let project = try await harness.test { client in
                        try await client.createProject(.session(try await client.adminSession()), name: "accounts-e2e")
                    }
                    let (create, body) = try await L.start(
                        fixture, .post, "/v1/projects/\(project)/instances", json: #"{"name":"people","engine":"postgresql"}"#)
                    let instanceId = try #require(body["instance"]?["instance_id"]?.intValue)
                    #expect(try await L.finish(fixture, create) == "SUCCEEDED")
                    let instance = try await L.instance(fixture, try #require(body["instance"]?["id"]?.stringValue))
                    _ = try await L.query(try L.superuser(fixture, instance), "CREATE ROLE reader NOLOGIN; CREATE ROLE bob LOGIN IN ROLE reader; SELECT 'ok'")

                    let runner = fastRunner(harness.services)
                    let loops = runner.start()
                    do {
                        try await buildApplication(services: harness.services).test(.live) { client in
                            try await Self.reviewAccounts(client, harness, instanceId: instanceId, folder: folder, downloads: downloads)
                        }
                    } catch {
                        await runner.stop(loops)
                        throw error
                    }
                    await runner.stop(loops)
                } catch {
                    Issue.record("accounts browser test failed: \(error)\nscreenshots: \(folder.path)")
                }
                await L.cleanUp(harness.services)
            }
        }

        static func reviewAccounts(
            _ client: any TestClientProtocol, _ harness: Harness, instanceId: Int64, folder: URL, downloads: URL
        ) async throws {
            let origin = "http://localhost:\(client.port!)"
            try await Browser.with(downloads: downloads) { driver in
                var pages = ConsolePageCheck(driver: driver, origin: origin, folder: folder)
                try await driver.go(origin + "/login?next=%2Faccounts")
                try await pages.settle()
                try await driver.keys("admin\u{E004}\(Harness.adminPassword)\u{E007}")
                try await driver.wait("accounts page", "return location.pathname === '/accounts'")
                try await pages.settle()

                try await driver.type("#sync-instance", String(instanceId))
                try await driver.click("#sync-form button")
                try await driver.waitForText("#flash", "Account sync started")
                try await driver.type("#acf-search", "bob")
                let bobRow = "#accounts-table tr[data-account='bob']"
                let deadline = ContinuousClock.now + .seconds(60)
                while try await driver.execute("return !!document.querySelector(arguments[0])", [bobRow]) as? Bool != true {
                    guard ContinuousClock.now < deadline else { throw WebDriver.Failure(description: "bob never appeared in the ledger") }
                    try await driver.click("#account-filter button[type=submit]")
                    try await pages.settle()
                }
                #expect(try await driver.text(bobRow + " .classes").isEmpty)

                try await driver.go(origin + "/accounts/classifications")
                try await pages.settle()
                try await driver.type("#rl-name", "readers")
                _ = try await driver.execute(
                    "const s = document.getElementById('rl-class'); s.value = [...s.options].find(o => o.textContent === 'Sensitive').value;")
                try await driver.type("#rl-expr", #"{"version": 4, "expr": {"fn": "has_rol", "args": {"name": "reader"}}}"#)
                try await driver.waitForText("#rl-expr-status", "rule_expression.expr.fn")
                try await driver.type("#rl-expr", #"{"version": 4, "expr": {"fn": "has_role", "args": {"name": "reader"}}}"#)
                try await driver.waitForText("#rl-expr-status", "valid")
                try await driver.waitForText("#rule-preview-list", "bob")
                #expect(!(try await driver.text("#rule-preview-list")).contains("postgres"))
                try await driver.click("#rule-form button[type=submit]")
                try await driver.waitForText("#flash", "Rule added")
                try await driver.waitForText("#rules-table", "readers")
                try await pages.settle()

                try await driver.go(origin + "/accounts")
                try await pages.settle()
                try await driver.type("#acf-search", "bob")
                try await driver.click("#account-filter button[type=submit]")
                try await driver.waitForText(bobRow + " .classes", "Sensitive")
                try await pages.settle()
                try await driver.click(bobRow + " a")
                try await driver.wait("account page", "return /^\\/accounts\\/\\d+$/.test(location.pathname)")
                try await driver.waitForText("#acct-roles", "reader")
                try await driver.waitForText("#acct-classes", "Sensitive")
                try await driver.waitForText("#acct-history", "Added")
                try await driver.waitForText("#acct-attributes", "login")
                try await pages.settle()
                let accountPath = try await driver.execute("return location.pathname") as? String ?? ""

                // The account page read its permissions through the cache; clearing the instance empties it.
                try await driver.go(origin + "/admin/cache")
                try await pages.settle()
                // The instance's namespaces (classification rules are cached per db_type, not per instance).
                let cached = """
                    return ['user_permissions', 'instance'].map(n => document.querySelector(`#cache-table tr[data-namespace='${n}'] td.entries`))
                      .reduce((sum, td) => sum + Number(td ? td.textContent : NaN), 0)
                    """
                #expect(try await driver.execute(cached) as? Int ?? 0 > 0)
                try await driver.type("#cc-instance", String(instanceId))
                try await driver.click("#clear-instance button")
                #expect(try await driver.alertText().contains(String(instanceId)))
                try await driver.acceptAlert()
                try await driver.waitForText("#flash", "Cache cleared")
                try await driver.wait("entries cleared", cached + " === 0")
                try await pages.settle()

                for (name, path) in [
                    ("accounts", "/accounts"), ("account", accountPath), ("classifications", "/accounts/classifications"), ("cache", "/admin/cache"),
                ] {
                    try await pages.check(name, path)
                }
                #expect(pages.problems.isEmpty, "\(pages.problems.joined(separator: "\n"))\nscreenshots: \(folder.path)")
                if pages.problems.isEmpty, ProcessInfo.processInfo.environment["FATHOM_TEST_KEEP"] == nil {
                    try? FileManager.default.removeItem(at: folder)
                }
            }
        }
    }
}
