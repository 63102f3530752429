import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import SQLiteNIO

/// `{"error": …, "meta": …}` — the one error body of every surface; on `/api/v1` also the reference's top-level
/// `"success": false` and `"message"`.
struct ErrorEnvelope: Encodable {
    struct Body: Encodable {
        var code: String
        var category: String
        var message: String
        var retryable: Bool
        var details: [JSONValue]?
        var redacted_context: [String: JSONValue]?
        var request_id: String
    }
    var error: Body
    var success: Bool?
    var message: String?
    var meta: ResponseMeta
}

/// Turns any thrown error into the error body; unknown errors become INTERNAL_ERROR without internals.
public struct ErrorRenderer: Sendable {
    let routes: RouteTable

    public func response(for error: any Error, request: Request, context: AppRequestContext) -> Response {
        let appError = classify(error, request: request, context: context)
        let body = ErrorEnvelope(
            error: .init(
                code: appError.code.name, category: appError.code.category, message: appError.message,
                retryable: appError.code.retryable, details: appError.details,
                redacted_context: appError.redactedContext, request_id: context.requestId),
            success: request.uri.path.hasPrefix("/api/") ? false : nil,
            message: request.uri.path.hasPrefix("/api/") ? appError.message : nil,
            meta: context.meta)
        var headers = appError.headers
        if appError.code.status == .methodNotAllowed, let allow = allowedMethods(request) {
            headers[.allow] = allow
        }
        // An unreachable store is usually back within seconds (a restart, a failover): say when to try again.
        if appError.code == .storeUnavailable, headers[.retryAfter] == nil {
            headers[.retryAfter] = String(Self.storeRetryAfterSeconds)
        }
        return (try? JSONCoding.response(body, status: appError.code.status, headers: headers))
            ?? Response(status: .internalServerError)
    }

    /// The Retry-After of a 503 STORE_UNAVAILABLE.
    static let storeRetryAfterSeconds = 2

    func classify(_ error: any Error, request: Request, context: AppRequestContext) -> AppError {
        switch error {
        case let error as AppError:
            return error
        case is NIOTooManyBytesError:
            return AppError(.payloadTooLarge)
        case let error as StoreError:
            return error.appError
        case let error as HTTPError where error.status == .notFound && context.endpointPath == "NotFound":
            if allowedMethods(request) != nil { return AppError(.methodNotAllowed) }
            return AppError(.routeNotFound, "No route for \(request.method) \(request.uri.path)")
        case let error as any HTTPResponseError where error.status.code < 500:
            return AppError(Self.genericCode(for: error.status))
        case is PSQLError, is SQLiteError, is SQLiteReaderError:
            if let storeError = StoreError(error) { return storeError.appError }
            fallthrough
        default:
            context.logger.error(
                "unhandled error", metadata: ["error_type": .string(String(describing: type(of: error)))])
            return AppError(.internalError)
        }
    }

    private func allowedMethods(_ request: Request) -> String? {
        let methods = routes.methods(forPath: request.uri.path)
        guard !methods.isEmpty, !methods.contains(request.method) else { return nil }
        return methods.map(\.rawValue).sorted().joined(separator: ", ")
    }

    static func genericCode(for status: HTTPResponse.Status) -> ErrorCode {
        switch status.code {
        case 401: return .authUnauthorized
        case 403: return .authForbidden
        case 404: return .routeNotFound
        case 405: return .methodNotAllowed
        case 406: return .notAcceptable
        case 409: return .configResourceConflict
        case 413: return .payloadTooLarge
        case 415: return .unsupportedMediaType
        case 429: return .rateLimited
        default: return .configInvalidRequest
        }
    }
}
