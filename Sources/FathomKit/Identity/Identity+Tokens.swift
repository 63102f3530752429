import Foundation

extension Identity {
    /// Creates a bearer token for `user`. The role ceiling may not exceed the user's role; the secret is
    /// returned once and only its digest is kept. A `member`'s ceiling caps its project roles instead (its global
    /// role grants nothing), up to `memberCeiling` (the creating token's own ceiling) and by default none.
    public func createToken(
        for user: User, name rawName: String, role: Role?, projectId: String?, expiresInDays: Int?,
        memberCeiling: Role = .admin
    ) async throws -> (APIToken, String) {
        let name = rawName.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count) else {
            throw AppError.invalid(field: "name", issue: "invalid", "name must be 1-100 characters")
        }
        let limit = user.role == .member ? memberCeiling : user.role
        let ceiling = role ?? limit
        guard ceiling <= limit else {
            throw AppError(.authForbidden, "A token cannot have a higher role than its user (\(user.role.rawValue))")
        }
        if let projectId, !projectId.hasPrefix("proj-") || projectId.count > 64 {
            throw AppError.invalid(field: "projectId", issue: "invalid", "projectId must be a project id (proj-…)")
        }
        if let expiresInDays, !(1...3650).contains(expiresInDays) {
            throw AppError.invalid(field: "expiresInDays", issue: "out_of_range", "expiresInDays must be 1-3650")
        }
        let now = clock.millis()
        let expiresAt = expiresInDays.map { now + Int64($0) * 86_400_000 }
        let created = try await tokens.create(
            userId: user.id, name: name, role: ceiling, projectId: projectId, expiresAt: expiresAt, now: now)
        logger.info("token created", metadata: ["token_id": .string(created.0.tokenId), "user_id": .string(user.id)])
        return created
    }

    /// Lists tokens: an admin may list everyone's (`allUsers`), others only their own.
    public func listTokens(for principal: Principal, allUsers: Bool, offset: Int, limit: Int) async throws
        -> (items: [APIToken], total: Int)
    {
        let everyone = allUsers && principal.role == .admin
        return try await tokens.list(userId: everyone ? nil : principal.userId, offset: offset, limit: limit)
    }

    /// Revokes every token of the caller in one call (e.g. after a password change, which keeps tokens: see README).
    public func revokeAllTokens(of principal: Principal) async throws -> Int {
        let count = try await tokens.revokeAll(userId: principal.userId, now: clock.millis())
        forgetRecentCredentials()
        logger.info("tokens revoked", metadata: ["user_id": .string(principal.userId), "count": .stringConvertible(count)])
        return count
    }

    /// Revokes a token owned by the caller, or any token when the caller is an admin.
    /// Someone else's token is reported as not found rather than forbidden, so ids cannot be probed.
    public func revokeToken(id: String, by principal: Principal?) async throws {
        guard let token = try await tokens.get(id: id),
            principal == nil || principal?.role == .admin || token.userId == principal?.userId
        else {
            throw AppError(.notFound, "Token '\(id)' not found")
        }
        _ = try await tokens.revoke(id: id, now: clock.millis())
        forgetRecentCredentials()
        logger.info("token revoked", metadata: ["token_id": .string(id)])
    }
}
