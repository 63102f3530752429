/// What a principal may do; routes require one of these.
public enum Permission: String, Sendable, Codable, CaseIterable {
    case view, update, admin
}

/// A user's (or token's) role; each grants a fixed set of permissions.
///
/// `member` is a tenant's role: no fleet-wide permission at all; everything it may do comes from project membership.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case member, viewer, `operator`, admin

    public var permissions: Set<Permission> {
        switch self {
        case .member: return []
        case .viewer: return [.view]
        case .operator: return [.view, .update]
        case .admin: return [.view, .update, .admin]
        }
    }

    private var rank: Int {
        switch self {
        case .member: return -1
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
    /// The token's own role ceiling (nil for a browser session).
    public var tokenRole: Role? = nil

    /// What caps a project membership's role: the global role for the platform team; for a `member` only the token's
    /// ceiling, since a tenant's global role grants nothing by design.
    public var projectCeiling: Role { userRole == .member ? (tokenRole ?? .admin) : role }

    /// A tenant sees and acts on its projects' instances only: a `member`, or any token bound to one project.
    public var isTenant: Bool { userRole == .member || projectId != nil }

    /// Key for per-principal budgets such as rate limits.
    public var rateLimitKey: String { "user:" + userId }
}
