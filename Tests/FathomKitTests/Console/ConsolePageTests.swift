@testable import FathomKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The console's pages without a browser: sign-in redirects, language choice, catalogs, server-drawn charts.
@Suite(.timeLimit(.minutes(10))) struct ConsolePageTests {
    static let consoleDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/FathomKit/Console")

    static let signedInPages = [
        "/", "/instances", "/projects/proj-x/instances", "/projects/proj-x/instances/inst-y", "/databases", "/databases/1", "/capacity",
        "/profile", "/tokens", "/admin/users", "/admin/task-runs", "/admin/schedules", "/admin/cache", "/admin/audit",
        "/inventory/assets", "/inventory/duplicates", "/inventory/sources", "/inventory/runs", "/inventory/runs/run_x",
        "/accounts", "/accounts/classifications", "/accounts/7",
    ]

    @Test(arguments: Backends.all)
    func pagesSendAVisitorToSignInAndBack(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                for path in Self.signedInPages {
                    let response = try await client.send(.get, path)
                    #expect(response.status == .seeOther, "\(path)")
                    let next = path.addingPercentEncoding(withAllowedCharacters: ConsolePages.queryValue)!
                    #expect(response.headers[.location] == "/login?next=\(next)", "\(path)")
                }
                let session = try await client.adminSession()
                for path in Self.signedInPages {
                    let response = try await client.send(.get, path, auth: .session(session))
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.text.contains(#"<script src="/assets/console.js" defer></script>"#))
                    #expect(!response.text.contains("{{"), "\(path) left a template tag unrendered")
                }
            }
        }
    }

    /// The second part's pages speak Chinese too (the catalog test checks every key exists in both languages).
    @Test(arguments: Backends.all)
    func ledgerAndAccountPagesSpeakChinese(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            try await harness.test { client in
                let session = try await client.adminSession()
                for (path, text) in [
                    ("/inventory/assets", "资产"), ("/inventory/duplicates", "疑似重复"), ("/inventory/sources", "调度组"),
                    ("/inventory/runs", "采集任务"), ("/accounts", "账户"), ("/accounts/classifications", "分类与规则"),
                    ("/admin/cache", "缓存"), ("/admin/audit", "审计日志"),
                ] {
                    let page = try await client.send(.get, path, auth: .session(session), headers: [.acceptLanguage: "zh-CN,zh;q=0.9"])
                    #expect(page.text.contains(#"<html lang="zh-CN">"#) && page.text.contains(text), "\(path)")
                }
            }
        }
    }

    @Test func languageFollowsTheCookieThenAcceptLanguage() {
        #expect(Language.negotiate(cookie: nil, acceptLanguage: nil) == .en)
        #expect(Language.negotiate(cookie: nil, acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8") == .zh)
        #expect(Language.negotiate(cookie: nil, acceptLanguage: "en-US,en;q=0.9,zh;q=0.8") == .en)
        #expect(Language.negotiate(cookie: nil, acceptLanguage: "fr-FR, zh-TW;q=0.5") == .zh)
        #expect(Language.negotiate(cookie: "en", acceptLanguage: "zh-CN") == .en)
        #expect(Language.negotiate(cookie: "xx", acceptLanguage: "zh-CN") == .zh)
    }

    @Test func signInPageSpeaksTheVisitorsLanguage() async throws {
        try await Harness.with(.sqlite) { harness in
            try await harness.test { client in
                let chinese = try await client.send(.get, "/login", headers: [.acceptLanguage: "zh-CN,zh;q=0.9"])
                #expect(chinese.text.contains(#"<html lang="zh-CN">"#))
                #expect(chinese.text.contains("登录"))
                let remembered = try await client.send(.get, "/login", headers: [.acceptLanguage: "zh-CN", .cookie: "lang=en"])
                #expect(remembered.text.contains(#"<html lang="en">"#))
                #expect(remembered.text.contains("Sign in"))
            }
        }
    }

    /// Every key a template or script uses is in both catalogs, and the catalogs hold the same keys.
    @Test func catalogsCoverEveryString() throws {
        let directory = Self.consoleDirectory
        let english = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: directory.appendingPathComponent("Catalogs/en.json")))
        let chinese = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: directory.appendingPathComponent("Catalogs/zh.json")))
        #expect(Set(english.keys) == Set(chinese.keys))
        var used = Set<String>()
        let templates = directory.appendingPathComponent("Templates")
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            used.formUnion(Self.matches(#"\{\{t\.([a-z0-9_]+)\}\}"#, in: text))
        }
        let scripts = directory.appendingPathComponent("Static")
        for file in try FileManager.default.contentsOfDirectory(atPath: scripts.path) where file.hasSuffix(".js") {
            let script = try String(contentsOf: scripts.appendingPathComponent(file), encoding: .utf8)
            used.formUnion(Self.matches(#"T\('([a-z0-9_]+)'"#, in: script))
        }
        // `T('status_' + value)`: a prefix with a value appended at run time; the full keys are checked below.
        let prefixes = used.filter { $0.hasSuffix("_") }
        used.subtract(prefixes)
        for prefix in prefixes { #expect(english.keys.contains { $0.hasPrefix(prefix) }, "no key starts with \(prefix)") }
        used.formUnion(Self.matches(#"\bt\[\"([a-z0-9_]+)\"\]"#, in: try Self.swiftSources(directory)))
        #expect(used.count > 50)
        #expect(used.subtracting(english.keys).isEmpty, "missing: \(used.subtracting(english.keys).sorted())")
    }

    @Test(arguments: Backends.all)
    func capacityPageDrawsTheTrendForTheChosenPeriod(_ backend: Store.Backend) async throws {
        try await Harness.with(backend) { harness in
            _ = try await DemoSeeder.seed(services: harness.services, instances: 2, databasesPerInstance: 3, days: 40)
            try await harness.test { client in
                let session = try await client.adminSession()
                let page = try await client.send(.get, "/capacity?period_type=weekly", auth: .session(session))
                #expect(page.text.contains(#"data-period="weekly" aria-current="page""#))
                #expect(page.text.contains(#"<svg class="chart" role="img""#))
                // 40 days of samples span six or seven Monday-started weeks: one point each.
                let points = page.text.components(separatedBy: "<circle").count - 1
                #expect((6...7).contains(points))
                let dashboard = try await client.send(.get, "/", auth: .session(session))
                #expect(dashboard.text.components(separatedBy: "<circle").count - 1 >= 30)
                #expect(dashboard.text.contains(#"<rect class="bar""#))
            }
        }
    }

    @Test func chartsLabelAxesInBinaryUnitsAndTitleEveryPoint() {
        let svg = SVGChart.sizeLine(
            [.init(label: "2026-01-01", value: 1_048_576), .init(label: "2026-01-02", value: 3 * 1_048_576)],
            title: "Trend <x>", empty: "none")
        #expect(svg.contains("<title>Trend &lt;x&gt;</title>"))
        #expect(svg.contains("<title>2026-01-02: 3 MiB</title>"))
        // Ticks at whole steps of the axis unit: 0, 1, 2, 3, 4 MiB.
        for tick in ["0 B", "1 MiB", "2 MiB", "3 MiB", "4 MiB"] { #expect(svg.contains(">\(tick)</text>"), "\(tick)") }
        #expect(SVGChart.sizeLine([], title: "t", empty: "No data").contains(">No data<"))
    }

    static func swiftSources(_ directory: URL) throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }
            .map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
    }

    static func matches(_ pattern: String, in text: String) -> Set<String> {
        let regex = try! NSRegularExpression(pattern: pattern)
        return Set(regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        })
    }
}
