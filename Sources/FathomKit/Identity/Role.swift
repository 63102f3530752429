/// What a principal may do; routes require one of these.
public enum Permission: String, Sendable, Codable, CaseIterable {
    case view, update, admin
}

/// A user's (or token's) role; each grants a fixed set of permissions.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    public var permissions: Set<Permission> {
        switch self {
        case .viewer: return [.view]
        case .operator: return [.view, .update]
        case .admin: return [.view, .update, .admin]
        }
    }

    private var rank: Int {
        switch self {
        case .viewer: return 0
        case .operator: return 1
        case .admin: return 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// The authenticated caller of a request.
public struct Principal: Sendable {
    public enum Credential: Sendable, Equatable {
        /// Browser session: the session id hash and its CSRF token.
        case session(id: String, csrfToken: String)
        /// Bearer API token by id.
        case token(id: String)
    }

    public var userId: String
    public var username: String
    /// The user's own role.
    public var userRole: Role
    /// What this request may do: the user's role, capped by the token's ceiling.
    public var role: Role
    /// A token bound to one project may only reach that project.
    public var projectId: String?
    public var credential: Credential

    /// Key for per-principal budgets such as rate limits.
    public var rateLimitKey: String { "user:" + userId }
}
