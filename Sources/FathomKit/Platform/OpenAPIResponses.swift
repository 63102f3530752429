/// The responses of one operation in the OpenAPI document: every status the route can answer, derived from its
/// declaration and from what every request passes through (authentication, CSRF, query limits, rate limits, body
/// decoding, idempotency, the store), each with its body's schema — the success body of its surface and the one
/// error body everywhere else.
enum OpenAPIResponses {
    static func all(_ route: RouteSpec) -> [String: JSONValue] {
        var responses: [String: JSONValue] = [String(route.successStatus): success(route)]
        if redirectsToSignIn(route) {
            responses["303"] = [
                "description": "Not signed in: to the sign-in page",
                "headers": ["Location": ["required": true, "schema": Schemas.string]],
            ]
        }
        for status in route.otherStatuses where status < 400 { responses[String(status)] = success(route) }
        for status in errorStatuses(route) { responses[String(status)] = error(status) }
        return responses
    }

    /// The error statuses a route can answer, and why.
    static func errorStatuses(_ route: RouteSpec) -> Set<Int> {
        var statuses = Set(route.otherStatuses.filter { $0 >= 400 })
        let api = ApiSurface.isAPI(route.path)
        if api {
            // Query limits (every API route), rate limits (every caller, signed in or not), the store going away.
            statuses.formUnion([400, 429, 503])
        }
        if route.access != .public {
            // No or an expired credential; a role or project without the permission, or a missing X-CSRFToken
            // on a cookie-authenticated write.
            statuses.formUnion([401, 403])
        }
        if route.requestBody != nil {
            // Malformed or invalid body, a csrf_token field in it (403), too large, not JSON.
            statuses.formUnion([400, 403, 413, 415])
        }
        if !route.pathParameters.isEmpty || namesAnotherResource(route) { statuses.insert(404) }
        if api && route.isMutating { statuses.insert(409) }
        if route.path.hasPrefix("/v1/") {
            // `Accept` other than JSON; a reused Idempotency-Key with another payload, an unsupported engine or
            // something the instance's provider does not do.
            statuses.insert(406)
            if route.isMutating { statuses.insert(422) }
        }
        if route.path == "/readyz" { statuses.insert(503) }
        return statuses
    }

    /// A query parameter or body field naming another resource by id (`instance_id`, `sourceId`): it may not exist.
    static func namesAnotherResource(_ route: RouteSpec) -> Bool {
        var names = route.query.map(\.0)
        if case .object(let properties)? = route.requestBody?["properties"] { names += properties.keys }
        return names.contains { name in
            ["_id", "Id", "_ids", "Ids", "_uuid", "Uuid", "Uuids"].contains { name.hasSuffix($0) }
        }
    }

    /// Console pages other than the sign-in page send a visitor without a session to it.
    static func redirectsToSignIn(_ route: RouteSpec) -> Bool {
        route.mediaType == "text/html" && route.tag == "console" && route.path != "/login"
    }

    static func success(_ route: RouteSpec) -> JSONValue {
        guard route.successStatus != 204 else { return ["description": "Done; no body"] }
        let mediaType = route.mediaType
        guard mediaType == "application/json" else {
            return ["description": "Success", "content": .object([mediaType: ["schema": Schemas.string]])]
        }
        let schema: JSONValue
        if route.path.hasPrefix("/api/v1/") {
            schema = Schemas.envelope(route.response ?? [:])
        } else {
            schema = route.response ?? (route.path.hasPrefix("/v1/") ? OpenAPIResourceBodies.body(route) : ["type": "object"])
        }
        return ["description": "Success", "content": ["application/json": ["schema": schema]]]
    }

    static func error(_ status: Int) -> JSONValue {
        var response: [String: JSONValue] = [
            "description": .string(descriptions[status] ?? "Error"),
            "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
        ]
        if status == 429 || status == 503 {
            response["headers"] = ["Retry-After": ["description": "Seconds to wait", "schema": Schemas.integer]]
        }
        return .object(response)
    }

    static let descriptions: [Int: String] = [
        400: "Invalid request (details name the field)", 401: "Not authenticated, or the credentials are wrong",
        403: "Forbidden, or the CSRF token is missing", 404: "Not found", 406: "Not acceptable",
        409: "Conflicts with the current state", 413: "Body too large", 415: "Body is not JSON",
        422: "Unprocessable", 429: "Rate limited or sign-in throttled", 503: "Store unavailable",
    ]
}
