import Hummingbird
import HummingbirdCore
import NIOCore
import Logging

/// Builds the router: middleware in order (pipeline → authentication → rate limit), then every feature's routes.
public func buildRouter(services: AppServices) -> (Router<AppRequestContext>, RouteTable) {
    let router = Router(context: AppRequestContext.self)
    let table = RouteTable()
    let renderer = ErrorRenderer(routes: table)
    let configuration = services.configuration
    router.add(middleware: PipelineMiddleware(renderer: renderer, metrics: services.metrics, trustProxy: configuration.trustProxy))
    router.add(middleware: AuthenticationMiddleware(identity: services.identity))
    router.add(middleware: QueryLimitsMiddleware())
    router.add(
        middleware: RateLimitMiddleware(
            limiter: RateLimiter(
                counters: services.identity.counters, clock: services.clock,
                readLimit: configuration.readRequestsPerMinute, writeLimit: configuration.writeRequestsPerMinute),
            renderer: renderer))
    router.add(middleware: APIVersionMiddleware())
    router.add(middleware: TenantScopeMiddleware(routes: table, access: services.tenancy))
    router.add(
        middleware: IdempotencyMiddleware(
            store: services.store, secrets: services.secrets, clock: services.clock, renderer: renderer, routes: table,
            access: services.tenancy, waitForInFlight: services.configuration.idempotencyWait))

    var routes = Routes(router: router, table: table, tenancy: services.tenancy)
    if configuration.responseCache {
        routes.cache = ResponseCache(changes: services.store.changes, clock: services.clock, metrics: services.metrics)
        routes.lastingCache = ResponseCache(
            changes: services.store.changes, clock: services.clock, metrics: services.metrics, untilWrite: true)
    }
    routes.add(SystemRoutes(store: services.store, metrics: services.metrics, table: table))
    // A worker-only process answers probes and metrics; the API and console are for `api` and `all`.
    guard configuration.role != .worker else { return (router, table) }
    for feature in services.features.all {
        for group in feature.routeGroups { routes.add(group) }
    }
    return (router, table)
}

/// The HTTP application with its background services, ready for `runService()` (which handles SIGINT/SIGTERM).
public func buildApplication(
    services: AppServices, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let (router, _) = buildRouter(services: services)
    let configuration = services.configuration
    let limit = ConnectionLimit(maximum: configuration.maxConnections, metrics: services.metrics)
    // Idle keep-alive connections are closed after the idle timeout (Hummingbird's own handler); a request head must
    // be complete within the header timeout of its first byte; past the connection limit the quietest idle
    // connection makes room (see ConnectionLimit).
    let server = HTTPServerBuilder { responder in
        GuardedHTTP1Channel(
            inner: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),
            limit: limit, headerTimeout: TimeAmount(configuration.headerTimeout))
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "fathom",
            backlog: configuration.listenBacklog, availableConnectionsDelegate: limit.acceptorDelegate),
        services: services.replicaServices() + (services.configuration.role == .api ? [] : services.workerServices()),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: services.logger)
}
