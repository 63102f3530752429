import Hummingbird

/// `PUT /api/v1/sources/{source_id}/credential` (§4.5): replaces the sealed credential; the body is the credential
/// object itself and is never echoed, logged or stored in the clear.
struct SourceCredentialRoutes: RouteGroup {
    let service: SourceService

    struct Message: Encodable { var message: String }

    var endpoints: [Route] {
        [
            Route(.put, "/api/v1/sources/{source_id}/credential", access: .permission(.update), tag: "assets",
                summary: "Replace a source's credential (an object of strings, e.g. username and password)",
                requestBody: ["type": "object", "additionalProperties": Schemas.string], update),
        ]
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let credential = JSONValue.object(try await request.jsonObject())
        try await service.setCredential(try context.parameters.require("source_id"), credential)
        return try context.envelope(Message(message: "Credential updated successfully"))
    }
}
