import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SQLKit
import Synchronization

/// `Idempotency-Key` on `/v1` POST and PATCH: the first request's response is stored (per principal, for 24 h) and
/// replayed for the same key and payload; another payload with the key is 422; a duplicate that arrives while the
/// first is still running waits briefly for its answer, then gets 409.
struct IdempotencyMiddleware: RouterMiddleware {
    let store: Store
    let clock: WallClock
    let renderer: ErrorRenderer
    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!
    static let lifetime: Int64 = 24 * 3_600_000
    static let waitForInFlight: Duration = .seconds(30)

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
        var request = request
        let body = try await request.collectBody(upTo: BodyLimits.maxJSONBytes)
        let fingerprint = Secrets.sha256Hex(
            request.method.rawValue + " " + request.uri.path + "\n" + String(buffer: body))
        let owner = principal.userId

        let deadline = ContinuousClock.now + Self.waitForInFlight
        var pause: Duration = .milliseconds(25)
        while true {
            let outcome: Claim
            do {
                outcome = try await claim(owner: owner, key: key, fingerprint: fingerprint)
            } catch let error as StoreError where error.isUniqueViolation {
                continue  // a concurrent duplicate inserted the key first; look again
            }
            switch outcome {
            case .claimed:
                return try await runAndRemember(request, context: context, next: next, owner: owner, key: key)
            case .replay(let status, let stored):
                var headers = HTTPFields()
                headers[.contentType] = "application/json; charset=utf-8"
                headers[Self.replayed] = "true"
                return Response(
                    status: HTTPResponse.Status(code: status), headers: headers,
                    body: .init(byteBuffer: ByteBuffer(string: stored)))
            case .mismatch:
                throw AppError(.idempotencyKeyReused, "Idempotency-Key '\(key)' was used with a different request")
            case .inFlight:
                guard ContinuousClock.now < deadline else {
                    throw AppError(.idempotencyInFlight, "A request with Idempotency-Key '\(key)' is still in progress")
                }
                // Back off: many duplicates polling must not crowd the store the first request needs.
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(500))
            }
        }
    }

    enum Claim {
        case claimed, inFlight, mismatch
        case replay(Int, String)
    }

    /// Takes the key for this request, or reports what holds it. Looking is a read; only a free key costs a write,
    /// so duplicates waiting for the first request do not crowd the store's writer.
    private func claim(owner: String, key: String, fingerprint: String) async throws -> Claim {
        let now = clock.millis()
        let existing = try await store.read { db in
            try await db.raw(
                "SELECT fingerprint, state, status, body, expires_at FROM idempotency_keys WHERE principal = \(bind: owner) AND key = \(bind: key)"
            ).first().map { row -> Claim? in
                guard try row.int64("expires_at") > now else { return nil }
                guard try row.string("fingerprint") == fingerprint else { return .mismatch }
                guard try row.string("state") == "done" else { return .inFlight }
                return .replay(try row.int("status"), try row.optionalString("body") ?? "")
            }
        }
        if let existing, let decided = existing { return decided }
        return try await store.write { db in
            // Gone or expired: replace it (a concurrent duplicate inserting first makes this a unique violation).
            try await db.raw(
                "DELETE FROM idempotency_keys WHERE principal = \(bind: owner) AND key = \(bind: key) AND expires_at <= \(bind: now)"
            ).run()
            try await db.raw(
                """
                INSERT INTO idempotency_keys (principal, key, fingerprint, state, created_at, expires_at)
                VALUES (\(bind: owner), \(bind: key), \(bind: fingerprint), 'in_flight', \(bind: now), \(bind: now + Self.lifetime))
                """
            ).run()
            return .claimed
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
            _ = try? await store.write { db in
                try await db.raw("DELETE FROM idempotency_keys WHERE principal = \(bind: owner) AND key = \(bind: key)").run()
            }
            return response
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let text = collector.text
        let status = Int(response.status.code)
        try await store.write { db in
            try await db.raw(
                """
                UPDATE idempotency_keys SET state = 'done', status = \(bind: status), body = \(bind: text)
                WHERE principal = \(bind: owner) AND key = \(bind: key)
                """
            ).run()
        }
        response.body = .init(byteBuffer: ByteBuffer(string: text))
        return response
    }
}

/// Captures a response body so it can be stored and sent.
private struct BodyCollector: ResponseBodyWriter {
    private final class Box: Sendable {
        let buffer = Mutex(ByteBuffer())
    }
    private let box = Box()

    var text: String { box.buffer.withLock { String(buffer: $0) } }

    mutating func write(_ buffer: ByteBuffer) async throws {
        box.buffer.withLock { var incoming = buffer; $0.writeBuffer(&incoming) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
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
