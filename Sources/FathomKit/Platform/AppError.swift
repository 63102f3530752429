import HTTPTypes

/// One field-level problem in a request, as `error.details[]` shows it.
public struct FieldIssue: Codable, Sendable, Equatable {
    public var field: String
    public var issue: String
    public var message: String
    /// The bound a value broke (`too_many`, `too_long`), so a client can adapt without parsing the message.
    public var limit: Int?

    public init(field: String, issue: String, message: String, limit: Int? = nil) {
        self.field = field
        self.issue = issue
        self.message = message
        self.limit = limit
    }
}

/// The error every handler throws; rendered as the one error body of DESIGN.md.
public struct AppError: Error, Sendable {
    public var code: ErrorCode
    public var message: String
    /// `details[]`: field issues for validation, or contract-specific objects (e.g. quota figures).
    public var details: [JSONValue]?
    public var redactedContext: [String: JSONValue]?
    public var headers: HTTPFields

    public init(
        _ code: ErrorCode, _ message: String? = nil, details: [JSONValue]? = nil,
        redactedContext: [String: JSONValue]? = nil, headers: HTTPFields = [:]
    ) {
        self.code = code
        self.message = message ?? code.message
        self.details = details
        self.redactedContext = redactedContext
        self.headers = headers
    }

    /// A 400 CONFIG_INVALID_REQUEST carrying field issues.
    public static func invalid(_ issues: [FieldIssue], message: String = "Validation failed") -> AppError {
        AppError(.configInvalidRequest, message, details: issues.map { JSONValue.encode($0) })
    }

    /// A 400 for one field.
    public static func invalid(field: String, issue: String, _ message: String) -> AppError {
        invalid([FieldIssue(field: field, issue: issue, message: message)])
    }
}
