import Hummingbird
import Logging
import NIOCore

/// Per-request state: the request id, who is calling, and from where.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Request-ID` echoed on the response and written into every log line and error body.
    public var requestId: String
    /// The authenticated caller, if any.
    public var principal: Principal?
    /// Why credentials that were presented did not authenticate (expired session, revoked token …).
    public var authProblem: AppError?
    /// The peer's IP address; nil under the in-process test client.
    public let remoteAddress: String?
    /// The client's address for throttling: the peer, or with a trusted proxy the first X-Forwarded-For entry.
    public var clientAddress: String?
    /// What the caller may see on `/api/v1` fleet routes; nothing until `TenantScopeMiddleware` resolves it.
    public var tenantScope: TenantScope = .projects([])
    /// The project of a `.project(…)` route, resolved by the route table after the access check.
    public var project: Project?
    /// True when the request arrived over TLS (directly or, with a trusted proxy, as X-Forwarded-Proto).
    public var isSecureTransport: Bool = false

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestId = ""
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
        self.clientAddress = remoteAddress
    }

    /// Bodies over 1 MiB are refused with 413.
    public var maxUploadSize: Int { BodyLimits.maxJSONBytes }
}

extension AppRequestContext {
    /// The authenticated caller (routes other than `.public` always have one).
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw authProblem ?? AppError(.authUnauthorized) }
        return principal
    }

    /// The caller and the project of a `.project(…)` route, as the route table resolved them.
    func projectScope() throws -> (Principal, Project) {
        guard let project else { throw AppError(.internalError, "Route is not declared with project access") }
        return (try requirePrincipal(), project)
    }
}

/// Request size limits shared by the decoders.
public enum BodyLimits {
    public static let maxJSONBytes = 1 << 20
}
