import Foundation

/// What every console page must satisfy in the browser: it settles, logs no console errors, made no failed
/// requests, and has no horizontal scroll at 390 px; screenshots at 1280 and 390 px go to `folder`.
struct ConsolePageCheck {
    let driver: WebDriver
    let origin: String
    let folder: URL
    private(set) var problems: [String] = []

    init(driver: WebDriver, origin: String, folder: URL) {
        self.driver = driver
        self.origin = origin
        self.folder = folder
    }

    /// Waits until no script is fetching (the layout's `aria-busy`), twice in a row.
    func settle() async throws {
        try await driver.wait("page to load", "return document.readyState === 'complete'")
        for _ in 0..<2 {
            try await driver.wait(
                "page to settle",
                "const m = document.getElementById('main'); return !m || m.getAttribute('aria-busy') !== 'true';")
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Loads `path` at both widths and records every way the page falls short.
    mutating func check(_ name: String, _ path: String) async throws {
        for width in [1280, 390] {
            try await driver.viewport(width: width)
            _ = try await driver.browserLog()
            try await driver.go(origin + path)
            try await settle()
            try await record(name, width: width)
        }
        try await driver.viewport(width: 1280)
    }

    /// Checks the page as it is now (after an interaction) at the current width.
    mutating func record(_ name: String, width: Int) async throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try await driver.screenshot().write(to: folder.appendingPathComponent("\(name)-\(width).png"))
        for entry in try await driver.browserLog() where entry.level == "SEVERE" || entry.level == "WARNING" {
            problems.append("\(name) @\(width): console \(entry.level): \(entry.message)")
        }
        let failed = try await driver.execute(
            """
            return performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
              .filter(e => e.responseStatus >= 400).map(e => e.responseStatus + ' ' + e.name);
            """) as? [String] ?? []
        for request in failed { problems.append("\(name) @\(width): failed request \(request)") }
        let flash = try await driver.execute("const f = document.getElementById('flash'); return f && !f.hidden && f.className.includes('error') ? f.textContent : null;") as? String
        if let flash { problems.append("\(name) @\(width): error shown: \(flash)") }
        if width <= 390 {
            let widths = try await driver.execute("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];") as? [Int] ?? []
            if widths.count == 2, widths[0] > widths[1] {
                problems.append("\(name) @\(width): horizontal scroll (\(widths[0]) px content in \(widths[1]) px)")
            }
        }
    }
}
