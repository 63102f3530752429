import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SQLKit
import Synchronization

/// `Idempotency-Key` on `/v1` POST and PATCH: the first request's response is stored (per user and credential, for
/// 24 h, sealed) and replayed for the same key and payload; another payload with the key is 422; a duplicate that
/// arrives while the first is still running waits briefly for its answer, then gets 409.
///
/// Every request with a key is authorized like the route itself before anything is looked up or replayed (the
/// route's access rule, then the project permission for `/v1/projects/{…}` routes): a user removed from a project,
/// or a token bound to another project, gets 403 and never the stored answer.
struct IdempotencyMiddleware: RouterMiddleware {
    let store: IdempotencyStore
    let clock: WallClock
    let renderer: ErrorRenderer
    let routes: RouteTable
    let access: ProjectAccess
    /// Keys request fingerprints (HMAC, not a bare digest: a request body may hold a chosen password).
    let secrets: SecretBox
    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!
    static let lifetime: Int64 = 24 * 3_600_000
    /// How long a duplicate waits for the first request's answer before it is told the key is in flight.
    let waitForInFlight: Duration

    init(
        store: Store, secrets: SecretBox, clock: WallClock, renderer: ErrorRenderer, routes: RouteTable, access: ProjectAccess,
        waitForInFlight: Duration
    ) {
        self.waitForInFlight = waitForInFlight
        self.store = IdempotencyStore(store: store, secrets: secrets)
        self.clock = clock
        self.renderer = renderer
        self.routes = routes
        self.access = access
        self.secrets = secrets
    }

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/"), [.post, .patch].contains(request.method),
            let key = request.headers[Self.header], let principal = context.principal
        else { return try await next(request, context) }
        guard (1...255).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw AppError.invalid(field: "Idempotency-Key", issue: "invalid", "Idempotency-Key must be 1-255 visible ASCII characters")
        }
        try await ReplayAuthorization(routes: routes, access: access).check(request, context: context, principal: principal)
        var request = request
        let body = try await request.collectBody(upTo: BodyLimits.maxJSONBytes)
        let fingerprint = Self.fingerprint(method: request.method, path: request.uri.path, body: String(buffer: body), secrets: secrets)
        let owner = Self.owner(principal)

        let deadline = ContinuousClock.now + waitForInFlight
        var pause: Duration = .milliseconds(25)
        while true {
            let now = clock.millis()
            if let record = try await store.find(owner: owner, key: key, now: now) {
                guard record.fingerprint == fingerprint else {
                    throw AppError(.idempotencyKeyReused, "Idempotency-Key '\(key)' was used with a different request")
                }
                if record.done {
                    var headers = HTTPFields()
                    headers[.contentType] = "application/json; charset=utf-8"
                    headers[Self.replayed] = "true"
                    return Response(
                        status: HTTPResponse.Status(code: record.status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: record.body)))
                }
                guard ContinuousClock.now < deadline else {
                    // Not a replay: the client should retry later with the same key and get the stored answer.
                    throw AppError(.idempotencyInFlight, "A request with Idempotency-Key '\(key)' is still in progress")
                }
                // Back off: many duplicates polling must not crowd the store the first request needs.
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(500))
                continue
            }
            do {
                try await store.claim(owner: owner, key: key, fingerprint: fingerprint, now: now, lifetime: Self.lifetime)
            } catch let error as StoreError where error.isUniqueViolation {
                continue  // a concurrent duplicate inserted the key first; look again
            }
            return try await runAndRemember(request, context: context, next: next, owner: owner, key: key)
        }
    }

    /// What makes two requests "the same" for a key: method, path and body.
    static func fingerprint(method: HTTPRequest.Method, path: String, body: String, secrets: SecretBox) -> String {
        secrets.mac(method.rawValue + " " + path + "\n" + body, purpose: "idempotency-fingerprint")
    }

    /// Keys belong to the user and the credential: another session or token of the same user starts afresh, so a
    /// token never receives what another credential's request returned.
    static func owner(_ principal: Principal) -> String {
        switch principal.credential {
        case .session(let idHash, _): return principal.userId + "|session:" + idHash
        case .token(let id): return principal.userId + "|token:" + id
        }
    }

    private func runAndRemember(
        _ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response,
        owner: String, key: String
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = renderer.response(for: error, request: request, context: context)
        }
        // Server errors are not remembered: the client may retry them with the same key.
        guard response.status.code < 500 else {
            try? await store.release(owner: owner, key: key)
            return response
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let text = collector.text
        try await store.finish(owner: owner, key: key, status: Int(response.status.code), body: text)
        response.body = .init(byteBuffer: ByteBuffer(string: text))
        return response
    }
}

/// Authorizes a request with an `Idempotency-Key` before the middleware answers it from the store: the matching
/// route's access rule (authentication, CSRF, role) and, under `/v1/projects/{…}`, the permission in that project.
struct ReplayAuthorization {
    let routes: RouteTable
    let access: ProjectAccess

    func check(_ request: Request, context: AppRequestContext, principal: Principal) async throws {
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
        // No route: the router answers 404/405 itself.
        guard let spec = routes.spec(method: request.method, path: request.uri.path) else { return }
        try Authorization.check(spec, request: request, context: context)
        if case .project(let permission) = spec.access, segments.count >= 3, segments[1] == "projects" {
            _ = try await access.require(principal, projectId: String(segments[2]), permission)
        }
    }
}

/// `Accept: application/vnd.dbaas.v1+json` (or JSON, or anything) is served; another version is 406.
struct APIVersionMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/"), let accept = request.headers[.accept] else {
            return try await next(request, context)
        }
        let types = accept.split(separator: ",").map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
        let acceptable = types.contains { ["*/*", "application/*", "application/json", "application/vnd.dbaas.v1+json"].contains($0) }
        guard acceptable else {
            throw AppError(
                .notAcceptable, "This API serves application/vnd.dbaas.v1+json (or application/json); asked for \(accept)")
        }
        return try await next(request, context)
    }
}
