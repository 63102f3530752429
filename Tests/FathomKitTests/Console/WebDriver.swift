import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// A small W3C WebDriver client for chromedriver: enough to drive the console as a person would (navigate, type,
/// click, read), read the browser's console log and take screenshots.
struct WebDriver: Sendable {
    let base: URL
    let sessionId: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A DOM element reference.
    struct Element: Sendable {
        let id: String
    }

    /// One WebDriver command. It goes through HummingbirdTesting's NIO client: Foundation's URLSession on Linux
    /// fails on chromedriver's responses ("Failed writing header").
    static func command(_ base: URL, _ method: String, _ path: String, _ body: Any? = nil) async throws -> Any? {
        trace("→ \(method) \(path)")
        let host = base.host ?? "127.0.0.1", port = base.port ?? 9515
        var payload: ByteBuffer?
        if let body {
            payload = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
        } else if method == "POST" {
            payload = ByteBuffer(string: "{}")
        }
        var headers: HTTPFields = [:]
        if payload != nil { headers[.contentType] = "application/json; charset=utf-8" }
        let request = TestClient.Request(
            "/" + path, method: HTTPRequest.Method(method)!, authority: "\(host):\(port)", headers: headers, body: payload)
        let response = try await TestClient.withClient(host: host, port: port, configuration: .init(timeout: .seconds(90))) { client in
            try await client.execute(request)
        }
        let data = response.body.map { Data($0.readableBytesView) } ?? Data()
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        let value = json?["value"]
        if response.status.code >= 400 {
            let detail = (value as? [String: Any]).map { "\($0["error"] ?? ""): \($0["message"] ?? "")" } ?? String(decoding: data, as: UTF8.self)
            throw Failure(description: "WebDriver \(method) \(path) → \(response.status.code) \(detail.prefix(400))")
        }
        return value is NSNull ? nil : value
    }

    /// Starts headless Chromium (no sandbox: tests run as root on CI) at desktop size.
    static func start(driver: URL, chromium: String, downloads: String) async throws -> WebDriver {
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:loggingPrefs": ["browser": "ALL"],
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900", "--lang=en-US"],
                        "prefs": ["download.default_directory": downloads, "download.prompt_for_download": false, "intl.accept_languages": "en-US,en"],
                    ],
                ]
            ]
        ]
        guard let value = try await command(driver, "POST", "session", capabilities) as? [String: Any],
            let id = value["sessionId"] as? String
        else { throw Failure(description: "chromedriver returned no session") }
        let session = WebDriver(base: driver, sessionId: id)
        _ = try await session.chromium("Page.setDownloadBehavior", ["behavior": "allow", "downloadPath": downloads])
        return session
    }

    func send(_ method: String, _ path: String, _ body: Any? = nil) async throws -> Any? {
        try await Self.command(base, method, "session/\(sessionId)" + (path.isEmpty ? "" : "/" + path), body)
    }

    /// A Chrome DevTools command (viewport emulation, downloads).
    func chromium(_ command: String, _ parameters: [String: Any]) async throws -> Any? {
        try await send("POST", "chromium/send_command_and_get_result", ["cmd": command, "params": parameters])
    }

    /// Emulates a viewport `width` CSS pixels wide (headless windows cannot be narrower than 500).
    func viewport(width: Int, height: Int = 900) async throws {
        _ = try await chromium(
            "Emulation.setDeviceMetricsOverride",
            ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600])
    }

    func quit() async { _ = try? await send("DELETE", "") }

    func go(_ url: String) async throws { _ = try await send("POST", "url", ["url": url]) }

    func currentURL() async throws -> String { try await send("GET", "url") as? String ?? "" }

    func execute(_ script: String, _ args: [Any] = []) async throws -> Any? {
        try await send("POST", "execute/sync", ["script": script, "args": args])
    }

    func find(_ css: String) async throws -> Element {
        guard let value = try await send("POST", "element", ["using": "css selector", "value": css]) as? [String: Any],
            let id = value.values.first as? String
        else { throw Failure(description: "no element \(css)") }
        return Element(id: id)
    }

    /// Clicks the element; when a page script re-rendered it between finding and clicking (live tables poll), finds
    /// it again.
    func click(_ css: String) async throws {
        for attempt in 1...5 {
            let element = try await find(css)
            do {
                _ = try await send("POST", "element/\(element.id)/click")
                return
            } catch let failure as Failure where failure.description.contains("stale element") && attempt < 5 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func type(_ css: String, _ text: String, clear: Bool = true) async throws {
        let element = try await find(css)
        if clear { _ = try await send("POST", "element/\(element.id)/clear") }
        _ = try await send("POST", "element/\(element.id)/value", ["text": text])
    }

    func text(_ css: String) async throws -> String {
        try await execute("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", [css]) as? String ?? ""
    }

    /// Presses keys on the focused element (W3C key codes, e.g. "\u{E004}" for Tab).
    func keys(_ text: String) async throws {
        let actions: [[String: Any]] = text.unicodeScalars.flatMap { scalar -> [[String: Any]] in
            [["type": "keyDown", "value": String(scalar)], ["type": "keyUp", "value": String(scalar)]]
        }
        _ = try await send("POST", "actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
    }

    func acceptAlert() async throws { _ = try await send("POST", "alert/accept") }

    /// Answers "Cancel" to a `confirm()` (a person changing their mind).
    func dismissAlert() async throws { _ = try await send("POST", "alert/dismiss") }

    /// The text of the open `confirm()`/`alert()`.
    func alertText() async throws -> String { try await send("GET", "alert/text") as? String ?? "" }

    /// Clicks the element `script` returns (for rows found by their text, which CSS cannot select).
    func clickFound(_ description: String, _ script: String, _ args: [Any] = []) async throws {
        guard let value = try await execute(script, args) as? [String: Any], let id = value.values.first as? String else {
            throw Failure(description: "no element: \(description)")
        }
        _ = try await send("POST", "element/\(id)/click")
    }

    /// Browser console entries since the last call (chromedriver's log; network failures appear here too).
    func browserLog() async throws -> [(level: String, message: String)] {
        let entries = try await send("POST", "se/log", ["type": "browser"]) as? [[String: Any]] ?? []
        return entries.map { ($0["level"] as? String ?? "", $0["message"] as? String ?? "") }
    }

    func screenshot() async throws -> Data {
        guard let encoded = try await send("GET", "screenshot") as? String, let data = Data(base64Encoded: encoded) else {
            throw Failure(description: "no screenshot")
        }
        return data
    }

    /// Polls `condition` (a script returning a boolean) until it holds.
    func wait(_ description: String, timeout: Duration = .seconds(20), _ script: String, _ args: [Any] = []) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await execute(script, args)) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "timed out waiting for \(description)")
    }

    /// Waits until the element matching `css` exists and its text contains `text`.
    func waitForText(_ css: String, _ text: String, timeout: Duration = .seconds(20)) async throws {
        try await wait(
            "'\(text)' in \(css)", timeout: timeout,
            "const e = document.querySelector(arguments[0]); return !!e && e.textContent.includes(arguments[1]);", [css, text])
    }
}
