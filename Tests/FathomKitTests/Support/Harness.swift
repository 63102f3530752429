import HTTPTypes
import FathomKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

/// The backends a SQL-touching test runs on: SQLite always, PostgreSQL when its binaries exist
/// (or when FATHOM_TEST_REQUIRE_POSTGRES=1, so CI fails instead of skipping).
enum Backends {
    static let requirePostgres = ProcessInfo.processInfo.environment["FATHOM_TEST_REQUIRE_POSTGRES"] == "1"
    static var all: [Store.Backend] { TestPostgres.isAvailable || requirePostgres ? [.sqlite, .postgres] : [.sqlite] }
}

/// A Fathom with its own fresh store (a temporary SQLite file or a new PostgreSQL database), a hand-moved
/// clock and a known admin password.
struct Harness: Sendable {
    static let adminPassword = "admin-password-1"

    let services: AppServices
    let clock: ManualClock

    static func with<T: Sendable>(
        _ backend: Store.Backend, configure: (inout FathomConfiguration) -> Void = { _ in }, logger custom: Logger? = nil,
        _ body: (Harness) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-test-\(UUID().uuidString)")
        defer {
            if ProcessInfo.processInfo.environment["FATHOM_TEST_KEEP"] == nil { try? FileManager.default.removeItem(at: directory) }
        }
        var configuration = FathomConfiguration()
        configuration.dataDir = directory.path
        configuration.bcryptCost = 4
        configuration.adminPassword = adminPassword
        configuration.readRequestsPerMinute = 100_000
        configuration.writeRequestsPerMinute = 100_000
        // The in-process test client runs the application's services: no background runner or scheduler unless a
        // test starts one itself.
        configuration.role = .api
        if backend == .postgres {
            configuration.databaseURL = try await TestPostgres.createDatabase()
        }
        configure(&configuration)
        let clock = ManualClock()
        var logger = Logger(label: "fathom-test")
        logger.logLevel = .critical
        // A test that searches the log (for secrets, say) passes its own.
        if let custom { logger = custom }
        let services = try await AppServices.open(configuration: configuration, clock: clock.wallClock, logger: logger)
        do {
            _ = try await services.identity.bootstrapAdmin()
            let result = try await body(Harness(services: services, clock: clock))
            await services.store.close()
            return result
        } catch {
            await services.store.close()
            throw error
        }
    }

    /// Runs `body` against the router in-process.
    func test<T: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await buildApplication(services: services).test(.router, body)
    }

    func createUser(_ username: String, role: Role, password: String = "password-123") async throws -> User {
        try await services.identity.createUser(username: username, password: password, role: role)
    }
}

/// A signed-in browser: its cookie and CSRF token.
struct BrowserSession: Sendable {
    var cookie: String
    var csrf: String
}

/// How a test request authenticates.
enum Auth: Sendable {
    case none
    case session(BrowserSession)
    /// The cookie without the X-CSRFToken header.
    case sessionWithoutCSRF(BrowserSession)
    case bearer(String)
}

extension TestClientProtocol {
    func send(
        _ method: HTTPRequest.Method, _ uri: String, auth: Auth = .none, json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        switch auth {
        case .none: break
        case .session(let session):
            headers[.cookie] = session.cookie
            headers[HTTPField.Name("X-CSRFToken")!] = session.csrf
        case .sessionWithoutCSRF(let session):
            headers[.cookie] = session.cookie
        case .bearer(let token):
            headers[.authorization] = "Bearer " + token
        }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func login(_ username: String, _ password: String, headers: HTTPFields = [:]) async throws -> BrowserSession {
        let response = try await send(
            .post, "/api/v1/auth/login", json: #"{"username":"\#(username)","password":"\#(password)"}"#, headers: headers)
        guard response.status == .ok, let setCookie = response.headers[.setCookie],
            let csrf = response.json["data"]?["csrfToken"]?.stringValue
        else { throw HarnessError("login failed: \(response.status) \(response.text)") }
        return BrowserSession(cookie: String(setCookie.split(separator: ";")[0]), csrf: csrf)
    }

    func adminSession() async throws -> BrowserSession { try await login("admin", Harness.adminPassword) }

    /// Creates an API token through the API and returns its secret.
    func createToken(_ session: BrowserSession, role: Role? = nil, extra: String = "") async throws -> String {
        let roleField = role.map { #","role":"\#($0.rawValue)""# } ?? ""
        let response = try await send(
            .post, "/api/v1/auth/tokens", auth: .session(session), json: #"{"name":"t"\#(roleField)\#(extra)}"#)
        guard response.status == .created, let secret = response.json["data"]?["secret"]?.stringValue else {
            throw HarnessError("token creation failed: \(response.status) \(response.text)")
        }
        return secret
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))) ?? .null }
    var errorCode: String? { json["error"]?["code"]?.stringValue }
}
