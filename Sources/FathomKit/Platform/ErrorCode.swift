import HTTPTypes

/// A stable error code with the HTTP status, category and retry advice that every response using it carries.
public struct ErrorCode: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let status: HTTPResponse.Status
    public let category: String
    public let retryable: Bool
    /// The default human message when the thrower gives none.
    public let message: String

    public var description: String { name }

    public static func == (lhs: ErrorCode, rhs: ErrorCode) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension ErrorCode {
    private static func code(
        _ name: String, _ status: HTTPResponse.Status, _ category: String, retryable: Bool = false, _ message: String
    ) -> ErrorCode {
        ErrorCode(name: name, status: status, category: category, retryable: retryable, message: message)
    }

    // Authentication and permission (asset-ledger contract §2, cache/capacity/databases CSRF rules).
    public static let authUnauthorized = code("AUTH_UNAUTHORIZED", .unauthorized, "auth", "Not authenticated")
    public static let authInvalidCredentials = code(
        "AUTH_INVALID_CREDENTIALS", .unauthorized, "auth", "Invalid username or password")
    public static let authSessionExpired = code("AUTH_SESSION_EXPIRED", .unauthorized, "auth", "Session expired")
    public static let authForbidden = code("AUTH_FORBIDDEN", .forbidden, "permission", "Permission denied")
    public static let authCSRFInvalid = code(
        "AUTH_CSRF_INVALID", .forbidden, "auth", "Missing or invalid X-CSRFToken header")
    public static let authLoginThrottled = code(
        "AUTH_LOGIN_THROTTLED", .tooManyRequests, "auth", retryable: true, "Too many failed login attempts")

    // Request shape and configuration resources (asset-ledger contract).
    public static let configInvalidRequest = code(
        "CONFIG_INVALID_REQUEST", .badRequest, "config", "Validation failed")
    public static let configResourceConflict = code(
        "CONFIG_RESOURCE_CONFLICT", .conflict, "config", "Resource conflict")
    public static let configDuplicateName = code("CONFIG_DUPLICATE_NAME", .conflict, "config", "Name already exists")
    public static let configAssetNotFound = code("CONFIG_ASSET_NOT_FOUND", .notFound, "config", "Resource not found")

    // The store could not take a write (the asset ledger lists it: its ingest reports it on runs).
    public static let dbWriteFailed = code(
        "DB_WRITE_FAILED", .internalServerError, "db", retryable: true, "Failed to write to the store")

    // Databases contract: table-size refresh.
    public static let databaseConnectionError = code(
        "DATABASE_CONNECTION_ERROR", .conflict, "database", retryable: true, "Could not connect to the database")
    public static let syncDataError = code(
        "SYNC_DATA_ERROR", .conflict, "database", retryable: true, "Collecting data from the database failed")

    // DBaaS contract.
    public static let quotaExceeded = code("QUOTA_EXCEEDED", .forbidden, "quota", "Quota exceeded")
    public static let notFound = code("NOT_FOUND", .notFound, "request", "Resource not found")
    public static let conflict = code("CONFLICT", .conflict, "state", "Conflicting state")
    public static let operationInProgress = code(
        "OPERATION_IN_PROGRESS", .conflict, "state", retryable: true, "Another operation is in progress")
    public static let unprocessable = code(
        "VALIDATION_FAILED", .unprocessableContent, "validation", "The request cannot be processed")
    public static let engineNotSupported = code(
        "ENGINE_NOT_SUPPORTED", .unprocessableContent, "validation", "Engine or version not supported")
    public static let idempotencyKeyReused = code(
        "IDEMPOTENCY_KEY_REUSED", .unprocessableContent, "request",
        "Idempotency-Key was already used with a different request")
    public static let idempotencyInFlight = code(
        "IDEMPOTENCY_IN_FLIGHT", .conflict, "request", retryable: true,
        "A request with this Idempotency-Key is still in progress")
    public static let notAcceptable = code(
        "NOT_ACCEPTABLE", .notAcceptable, "request", "Requested representation is not available")

    // Background jobs.
    public static let jobTimeout = code("JOB_TIMEOUT", .gatewayTimeout, "job", "Job exceeded its timeout")
    public static let jobFailed = code("JOB_FAILED", .internalServerError, "job", "Job failed")
    public static let jobFinished = code("JOB_ALREADY_FINISHED", .conflict, "job", "The job has already finished")

    // Protocol-level errors every surface shares.
    public static let routeNotFound = code("ROUTE_NOT_FOUND", .notFound, "request", "No such route")
    public static let methodNotAllowed = code(
        "METHOD_NOT_ALLOWED", .methodNotAllowed, "request", "Method not allowed on this route")
    public static let payloadTooLarge = code(
        "PAYLOAD_TOO_LARGE", .contentTooLarge, "request", "Request body exceeds the 1 MiB limit")
    public static let unsupportedMediaType = code(
        "UNSUPPORTED_MEDIA_TYPE", .unsupportedMediaType, "request", "Request body must be application/json")
    public static let rateLimited = code(
        "RATE_LIMITED", .tooManyRequests, "rate_limit", retryable: true, "Rate limit exceeded")
    public static let storeUnavailable = code(
        "STORE_UNAVAILABLE", .serviceUnavailable, "system", retryable: true, "The store is unavailable")
    public static let internalError = code(
        "INTERNAL_ERROR", .internalServerError, "system", retryable: true, "Internal server error")

    /// The platform's codes (requests, authentication, the store); features declare theirs in their entry point.
    static let platform: [ErrorCode] = [
        authUnauthorized, authForbidden, configInvalidRequest, configResourceConflict, configDuplicateName,
        configAssetNotFound, notFound, conflict, unprocessable, idempotencyKeyReused,
        idempotencyInFlight, notAcceptable, routeNotFound, methodNotAllowed, payloadTooLarge, unsupportedMediaType,
        rateLimited, storeUnavailable, internalError,
    ]

    /// Every code Fathom can answer with, the platform's and each feature's; documentation and tests read this table.
    public static var registry: [ErrorCode] { FeatureList.errorCodes }

    /// Looks a code up by its name.
    public static func named(_ name: String) -> ErrorCode? { registry.first { $0.name == name } }
}
