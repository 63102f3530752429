/// Users, sessions and API tokens: sign-in, the current user, token and user administration (`/api/v1/auth/*`,
/// `/api/v1/users`). The `Identity` service itself is shared (authentication runs before every route).
struct IdentityFeature: Feature {
    static let migrations = [
        Migration(version: 1, name: "identity", statements: IdentitySchema.statements),
        Migration(version: 9, name: "security", statements: SecuritySchema.statements),
    ]
    static let errorCodes: [ErrorCode] = [
        .authInvalidCredentials, .authSessionExpired, .authCSRFInvalid, .authLoginThrottled,
    ]

    let routeGroups: [any RouteGroup]

    init(services: AppServices, built: FeatureSet) {
        routeGroups = [
            AuthRoutes(identity: services.identity, configuration: services.configuration),
            TokenRoutes(identity: services.identity), UserRoutes(identity: services.identity),
        ]
    }
}
