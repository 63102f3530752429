import Foundation

extension Identity {
    /// Creates the `admin` user on first start. Returns the generated password when none was configured,
    /// so the caller can print it once; nil when users already exist or the password was given.
    public func bootstrapAdmin() async throws -> (created: Bool, generatedPassword: String?) {
        guard try await users.count() == 0 else { return (false, nil) }
        let generated = configuration.adminPassword == nil ? Credentials.randomPassword() : nil
        let password = configuration.adminPassword ?? generated!
        do {
            _ = try await createUser(username: "admin", password: password, role: .admin, id: "u_admin")
        } catch let error as AppError where error.code == .configDuplicateName {
            return (false, nil)  // another replica created it first
        }
        return (true, generated)
    }

    /// Creates a user; a taken username is 409 CONFIG_DUPLICATE_NAME.
    public func createUser(username rawUsername: String, password: String, role: Role, id: String? = nil)
        async throws -> User
    {
        let username = try Credentials.normalizeUsername(rawUsername)
        try Credentials.validatePassword(password)
        let now = clock.millis()
        let user = User(
            id: id ?? "u_" + Secrets.randomToken(bytes: 9), username: username, role: role, disabled: false,
            createdAt: now, updatedAt: now)
        let hash = try await hasher.hash(password)
        do {
            try await users.insert(user, passwordHash: hash)
        } catch let error as StoreError where error.isUniqueViolation {
            throw AppError(.configDuplicateName, "Username '\(username)' is already taken")
        }
        logger.info("user created", metadata: ["user_id": .string(user.id), "role": .string(role.rawValue)])
        return user
    }

    /// Changes role and/or disabled state. Disabling ends the user's sessions and revokes its tokens.
    /// An admin cannot disable or demote themselves, so at least one admin always remains reachable.
    public func updateUser(id: String, role: Role?, disabled: Bool?, actor: Principal?) async throws -> User {
        if let actor, actor.userId == id, disabled == true || (role.map { $0 < .admin } ?? false) {
            throw AppError(.configResourceConflict, "You cannot disable or demote your own account")
        }
        guard let user = try await users.update(id: id, role: role, disabled: disabled, now: clock.millis()) else {
            throw AppError(.notFound, "User '\(id)' not found")
        }
        forgetRecentCredentials()
        logger.info("user updated", metadata: ["user_id": .string(id)])
        return user
    }

    /// Sets a user's password (administrator reset); ends all of that user's sessions.
    public func resetPassword(id: String, password: String) async throws {
        try Credentials.validatePassword(password)
        let hash = try await hasher.hash(password)
        guard try await users.setPassword(id: id, hash: hash, now: clock.millis()) else {
            throw AppError(.notFound, "User '\(id)' not found")
        }
        forgetRecentCredentials()
        logger.info("password reset", metadata: ["user_id": .string(id)])
    }

    /// Looks a user up by id or, failing that, by username (for the command line).
    public func findUser(_ idOrUsername: String) async throws -> User? {
        if let user = try await users.find(id: idOrUsername) { return user }
        return try await users.find(username: idOrUsername.lowercased())
    }
}
