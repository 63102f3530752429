import FathomKit
import Foundation
import Testing

/// Progress of a browser test on stderr (set FATHOM_TEST_TRACE=1), to see where a slow run is.
func trace(_ message: String) {
    guard ProcessInfo.processInfo.environment["FATHOM_TEST_TRACE"] == "1" else { return }
    FileHandle.standardError.write(Data("[console-test] \(message)\n".utf8))
}

/// Headless Chromium driven through chromedriver, for the console's browser tests. Where either is missing the
/// tests skip with a message, unless FATHOM_TEST_REQUIRE_BROWSER=1 (as `.ci/run` sets), which makes them fail.
enum Browser {
    static let requireBrowser = ProcessInfo.processInfo.environment["FATHOM_TEST_REQUIRE_BROWSER"] == "1"

    static var chromium: String? {
        let environment = ProcessInfo.processInfo.environment["FATHOM_CHROMIUM"]
        return ([environment].compactMap { $0 } + ["/usr/bin/chromium", "/usr/bin/chromium-browser"]).first(where: FileManager.default.isExecutableFile)
    }

    static var chromedriver: String? {
        let environment = ProcessInfo.processInfo.environment["FATHOM_CHROMEDRIVER"]
        return ([environment].compactMap { $0 } + ["/usr/bin/chromedriver"]).first(where: FileManager.default.isExecutableFile)
    }

    static var isAvailable: Bool { chromium != nil && chromedriver != nil }

    /// Whether browser tests run here; prints why not when they are skipped.
    static var enabled: Bool {
        if isAvailable || requireBrowser { return true }
        print("◇ Console browser tests skipped: Chromium and chromedriver are not installed (apt-get install chromium chromium-driver; FATHOM_TEST_REQUIRE_BROWSER=1 makes them required)")
        return false
    }

    /// A loopback port nobody listens on now (the kernel's pick), so chromedriver never collides with the fixed
    /// port ranges other tests give PostgreSQL instances.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw WebDriver.Failure(description: "socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw WebDriver.Failure(description: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs `body` with a fresh chromedriver and browser session, both ended afterwards.
    static func with<T>(downloads: URL, _ body: (WebDriver) async throws -> T) async throws -> T {
        guard let chromium, let chromedriver else {
            throw WebDriver.Failure(description: "FATHOM_TEST_REQUIRE_BROWSER=1 but Chromium or chromedriver is missing")
        }
        let port = try freePort()
        let child = try Subprocess.start(chromedriver, ["--port=\(port)", "--allowed-ips=127.0.0.1"])
        // chromedriver ignores SIGTERM while it has children; nothing of it (or of its group) is worth keeping.
        defer { child.kill() }
        let base = URL(string: "http://127.0.0.1:\(port)")!
        trace("chromedriver started on \(port)")
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await WebDriver.command(base, "GET", "status")) != nil
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard ready else { throw WebDriver.Failure(description: "chromedriver did not start") }
        trace("chromedriver ready")
        let driver = try await WebDriver.start(driver: base, chromium: chromium, downloads: downloads.path)
        do {
            let result = try await body(driver)
            await driver.quit()
            return result
        } catch {
            // The state the browser was in when the step failed, next to the pages' screenshots.
            if let shot = try? await driver.screenshot() {
                try? shot.write(to: downloads.deletingLastPathComponent().appendingPathComponent("failure.png"))
            }
            await driver.quit()
            throw error
        }
    }
}
