import HTTPTypes
import Hummingbird
import Synchronization

/// Who may call a route.
public enum Access: Sendable, Equatable {
    /// Anyone, no credentials (probes, docs, login).
    case `public`
    /// Any signed-in principal.
    case authenticated
    /// A principal whose role grants the permission.
    case permission(Permission)
    /// A principal holding the permission in the project named by the `{project_id}` path parameter; the route
    /// table resolves the project once and hands it to the handler as `context.project`.
    case project(Permission)
    /// Fleet data on `/api/v1` (ledger, capacity, table sizes, task runs): the global roles need the permission and
    /// see the fleet; tenants (`member` users, project-bound tokens) are admitted and see only the instances of
    /// projects where they hold it (`AppRequestContext.tenantScope`).
    case scoped(Permission)
}

/// A route's declaration: what the router serves, what the OpenAPI document describes and what the
/// authorization matrix test walks. Paths are written whole as OpenAPI templates (`/api/v1/users/{user_id}`), with
/// snake_case parameter names ending in `_id`, `_name` or `_uuid` (`RouteSpec.parameterNamePattern`).
public struct RouteSpec: Sendable {
    public var method: HTTPRequest.Method
    public var path: String
    public var access: Access
    public var summary: String
    public var tag: String
    /// JSON Schema of the request body, if the route takes one.
    public var requestBody: JSONValue?
    /// False for routes whose body may be left out (defaults then apply).
    public var bodyRequired = true
    /// Query parameters: name → JSON Schema.
    public var query: [(String, JSONValue)]
    public var successStatus: Int
    /// JSON Schema of the success body's `data` (`/api/v1`, wrapped in the envelope) or of the whole body (`/v1`).
    public var response: JSONValue?
    /// Statuses the handler itself answers beyond `successStatus` and those every route of its kind can
    /// (`OpenAPIResponses.errorStatuses`): e.g. 401 for a failed sign-in, 200 beside 201 for "already running".
    public var otherStatuses: [Int] = []
    /// The success body's media type when it is not what `mediaType` derives (JSON, console HTML, CSV exports).
    public var produces: String?
    /// A read whose answers `ResponseCache` may keep, and for how long.
    public var cached: CachePolicy?
    /// Where the route is declared (its row in the handler's `endpoints` table): what `fathom routes` prints.
    public var file: String
    public var line: Int

    public init(
        _ method: HTTPRequest.Method, _ path: String, access: Access, tag: String, summary: String,
        requestBody: JSONValue? = nil, query: [(String, JSONValue)] = [], successStatus: Int = 200,
        file: String = #filePath, line: Int = #line
    ) {
        self.file = file
        self.line = line
        self.method = method
        self.path = path
        self.access = access
        self.summary = summary
        self.tag = tag
        self.requestBody = requestBody
        self.query = query
        self.successStatus = successStatus
    }

    /// Names of the `{…}` segments in the path.
    public var pathParameters: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    /// The naming rule for path parameters: snake_case, naming what it identifies (`project_id`, `schedule_name`,
    /// `asset_uuid`), the same name for the same kind of identifier on every route.
    public static let parameterNamePattern = #"^[a-z][a-z0-9]*(_[a-z0-9]+)*_(id|name|uuid)$"#

    /// The declaring file relative to the package (`Sources/FathomKit/ControlPlane/BackupRoutes.swift`).
    public var sourceFile: String {
        guard let range = file.range(of: "/Sources/", options: .backwards) else { return file }
        return String(file[file.index(after: range.lowerBound)...])
    }

    /// `file:line` of the declaration, relative to the package (`Sources/FathomKit/ControlPlane/BackupRoutes.swift:40`).
    public var location: String { "\(sourceFile):\(line)" }

    /// The same path in the router's `:name` syntax.
    var routerPath: String {
        "/" + path.split(separator: "/").map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    var isMutating: Bool { ![.get, .head, .options].contains(method) }

    /// The success body's media type: the declared one, else what the route's kind implies — console pages are
    /// HTML (their scripts and stylesheets by extension), CSV exports end in `/exports`, everything else is JSON.
    public var mediaType: String {
        if let produces { return produces }
        if path.hasSuffix(".js") { return "text/javascript" }
        if path.hasSuffix(".css") { return "text/css" }
        if tag == "console" { return "text/html" }
        if path.hasSuffix("/exports") { return "text/csv" }
        return "application/json"
    }
}

/// Every route registered on the router, in registration order.
public final class RouteTable: Sendable {
    private let specs = Mutex<[RouteSpec]>([])

    public init() {}

    public var all: [RouteSpec] { specs.withLock { $0 } }

    func append(_ spec: RouteSpec) { specs.withLock { $0.append(spec) } }

    /// Methods registered for a concrete request path (used to answer 405 with `Allow`).
    public func methods(forPath path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return Set(all.filter { Self.matches(template: $0.path, segments: segments) }.map(\.method))
    }

    static func matches(template: String, segments: [Substring]) -> Bool {
        let parts = template.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { part, segment in part.hasPrefix("{") || part == segment }
    }
}

/// A route's declaration and its handler: one row of a route group's `endpoints` table.
public struct Route: Sendable {
    public var spec: RouteSpec
    public var handler: Routes.Handler

    /// Declares a route; the row's source location is recorded for `fathom routes`.
    public init(
        _ method: HTTPRequest.Method, _ path: String, access: Access, tag: String, summary: String,
        requestBody: JSONValue? = nil, bodyRequired: Bool = true, query: [(String, JSONValue)] = [],
        successStatus: Int = 200, response: JSONValue? = nil, otherStatuses: [Int] = [], produces: String? = nil,
        cached: CachePolicy? = nil, file: String = #filePath, line: Int = #line, _ handler: @escaping Routes.Handler
    ) {
        spec = RouteSpec(
            method, path, access: access, tag: tag, summary: summary, requestBody: requestBody, query: query,
            successStatus: successStatus, file: file, line: line)
        spec.bodyRequired = bodyRequired
        spec.response = response
        spec.otherStatuses = otherStatuses
        spec.produces = produces
        spec.cached = cached
        self.handler = handler
    }
}

/// How long `ResponseCache` may keep a read route's answers.
public enum CachePolicy: Sendable, Equatable {
    /// Until a write or the next second: answers that depend on the time (freshness, today's date).
    case perSecond
    /// Until a write, wherever it is made: for answers that depend only on what is stored. While writes elsewhere
    /// cannot be known at once (SQLite, or PostgreSQL without its change announcements), as `perSecond`.
    case untilWrite
}

/// A routes type: the handlers of one resource as named methods, listed in one table.
public protocol RouteGroup: Sendable {
    var endpoints: [Route] { get }
}

/// Registers handlers together with their `RouteSpec`, wrapping each in the authorization the spec declares and,
/// for project routes, resolving the project once (`context.project`).
public struct Routes {
    public typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    let router: Router<AppRequestContext>
    public let table: RouteTable
    let tenancy: ProjectAccess
    /// Keeps the answers of `cached` routes; nil serves every request afresh.
    /// Keeps the answers of `.perSecond` routes.
    var cache: ResponseCache? = nil
    /// Keeps the answers of `.untilWrite` routes.
    var lastingCache: ResponseCache? = nil

    public func add(_ group: any RouteGroup) {
        for endpoint in group.endpoints { add(endpoint.spec, endpoint.handler) }
    }

    public func add(_ spec: RouteSpec, _ handler: @escaping Handler) {
        table.append(spec)
        let tenancy = tenancy
        let cache: ResponseCache? = switch (spec.method, spec.cached) {
        case (.get, .perSecond?): cache
        case (.get, .untilWrite?): lastingCache
        default: nil
        }
        router.on(RouterPath(spec.routerPath), method: spec.method) { request, context in
            try Authorization.check(spec, request: request, context: context)
            guard case .project(let permission) = spec.access else {
                guard let cache else { return try await handler(request, context) }
                return try await cache.respond(request, context: context, handler)
            }
            var scoped = context
            scoped.project = try await tenancy.require(
                context.principal, projectId: try context.parameters.require("project_id"), permission)
            return try await handler(request, scoped)
        }
    }
}

/// The access rules of DESIGN.md: authentication, CSRF for cookie-authenticated writes, role permissions.
enum Authorization {
    static func check(_ spec: RouteSpec, request: Request, context: AppRequestContext) throws {
        guard spec.access != .public else { return }
        guard let principal = context.principal else {
            throw context.authProblem ?? AppError(.authUnauthorized)
        }
        if spec.isMutating, case .session(_, let csrfToken) = principal.credential {
            guard let header = request.headers[.csrfToken], Secrets.constantTimeEquals(header, csrfToken) else {
                throw AppError(.authCSRFInvalid)
            }
        }
        switch spec.access {
        case .permission(let permission):
            if !principal.role.permissions.contains(permission) {
                throw AppError(.authForbidden, "Permission '\(permission.rawValue)' required")
            }
        case .project(let permission):
            if !principal.projectCeiling.permissions.contains(permission) {
                throw AppError(.authForbidden, "Permission '\(permission.rawValue)' required")
            }
        case .scoped(let permission):
            let ceiling = principal.isTenant ? principal.projectCeiling : principal.role
            if !ceiling.permissions.contains(permission) {
                throw AppError(.authForbidden, "Permission '\(permission.rawValue)' required")
            }
        default:
            break
        }
        // A token bound to one project acts only in that project: platform-wide changes (projects, users,
        // schedules, syncs) are refused, whatever its role. What it may read platform-wide is tenant scope's call.
        if principal.projectId != nil, case .permission(let permission) = spec.access, permission != .view {
            throw AppError(.authForbidden, "A token bound to a project cannot use \(spec.method.rawValue) \(spec.path)")
        }
    }
}

extension HTTPField.Name {
    static let csrfToken = HTTPField.Name("X-CSRFToken")!
    static let requestId = HTTPField.Name("X-Request-ID")!
    static let rateLimitLimit = HTTPField.Name("X-RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
