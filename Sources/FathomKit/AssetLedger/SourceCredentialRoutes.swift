import Hummingbird

/// `PUT /api/v1/sources/{source_id}/credential` (§4.5): replaces the sealed credential; the body is the credential
/// object itself and is never echoed, logged or stored in the clear.
struct SourceCredentialRoutes: RouteGroup {
    let service: SourceService
    let audit: AuditLog

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
        let id = try context.parameters.require("source_id")
        try await service.setCredential(id, credential)
        // The credential itself never reaches the log; only that it changed.
        try await audit.record("source.credential_updated", actor: try context.requirePrincipal(), target: ("source", id))
        return try context.envelope(Message(message: "Credential updated successfully"))
    }
}
