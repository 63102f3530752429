import Foundation

/// `POST …/instances/{id}/users` body.
struct CreateUserBody: StrictBody {
    var name: String
    var password: String?
    var roles: [String]?
    var privileges: [String: [String]]?
    /// Databases the user may work in: shorthand for CONNECT, CREATE and TEMPORARY on each (and so for creating
    /// tables in its `public` schema).
    var databases: [String]?
    var connection_limit: Int?
    var login: Bool?
    enum CodingKeys: String, CodingKey, CaseIterable { case name, password, roles, privileges, databases, connection_limit, login }
}

/// `PATCH …/users/{uid}` body.
struct UpdateUserBody: StrictBody {
    var password: String?
    var generate_password: Bool?
    var roles: [String]?
    var privileges: [String: [String]]?
    var databases: [String]?
    var connection_limit: Int?
    var login: Bool?
    enum CodingKeys: String, CodingKey, CaseIterable {
        case password, generate_password, roles, privileges, databases, connection_limit, login
    }
}

extension ControlPlane {
    static let allowedPrivileges: Set<String> = ["CONNECT", "CREATE", "TEMPORARY"]

    func databaseUser(_ id: String, projectId: String, instanceId: String) async throws -> DatabaseUser {
        guard let user = try await store.read({ db in
            try await DatabaseUserStore.find(id, projectId: projectId, instanceId: instanceId, on: db)
        }), user.state != "DELETED" else { throw AppError(.notFound, "User '\(id)' not found") }
        return user
    }

    func listUsers(projectId: String, instanceId: String) async throws -> [DatabaseUser] {
        _ = try await instance(instanceId, projectId: projectId)
        return try await store.read { db in try await DatabaseUserStore.list(projectId: projectId, instanceId: instanceId, on: db) }
    }

    /// Creates a database user through an operation. The password (given or generated) is returned once; it is
    /// passed to the job sealed and erased from the operation when the job ends.
    func createUser(_ principal: Principal, project: Project, instanceId: String, _ body: CreateUserBody) async throws
        -> (DatabaseUser, Operation, String?)
    {
        let current = try await instance(instanceId, projectId: project.id)
        try requireAction(.users, current)
        let name = try Self.validateRoleName(body.name, field: "name")
        let roles = try (body.roles ?? []).map { try Self.validateRoleName($0, field: "roles") }
        let privileges = try Self.validatePrivileges(Self.withWorkingDatabases(body.privileges ?? [:], body.databases))
        let limit = try Self.validateConnectionLimit(body.connection_limit ?? -1)
        if let password = body.password { try Credentials.validatePassword(password) }
        let generated = body.password == nil ? Credentials.randomPassword() : nil
        let password = body.password ?? generated!
        let sealed = try secrets.seal(password)
        let userId = ResourceID.make("dbu")
        let now = clock.millis()
        let login = body.login ?? true
        let operationId = try await withOperation { db in
            do {
                try await DatabaseUserStore.insert(
                    id: userId, projectId: project.id, instanceId: instanceId, name: name, roles: roles, privileges: privileges,
                    connectionLimit: limit, login: login, now: now, on: db)
            } catch let error as StoreError where error.isUniqueViolation {
                throw AppError(.configDuplicateName, "A user named '\(name)' already exists on this instance")
            }
            return try await startOperation(
                OperationRequest(
                    type: .CREATE_USER, projectId: project.id, instanceId: instanceId, target: ("user", userId),
                    parameters: ["user_id": .string(userId), "password_sealed": .string(sealed)],
                    createdBy: principal.userId, allowed: [.RUNNING], newState: nil),
                on: db)
        }
        return (
            try await databaseUser(userId, projectId: project.id, instanceId: instanceId),
            try await operation(operationId, projectId: project.id), generated
        )
    }

    func updateUser(_ principal: Principal, project: Project, instanceId: String, userId: String, _ body: UpdateUserBody)
        async throws -> (DatabaseUser, Operation, String?)
    {
        let current = try await instance(instanceId, projectId: project.id)
        try requireAction(.users, current)
        let user = try await databaseUser(userId, projectId: project.id, instanceId: instanceId)
        if body.password != nil && body.generate_password == true {
            throw AppError.invalid(field: "password", issue: "conflict", "give password or generate_password, not both")
        }
        if let password = body.password { try Credentials.validatePassword(password) }
        let generated = body.generate_password == true ? Credentials.randomPassword() : nil
        let roles = try body.roles.map { try $0.map { try Self.validateRoleName($0, field: "roles") } }
        let asked = body.privileges ?? body.databases.map { _ in user.privileges }
        let privileges = try asked.map { try Self.validatePrivileges(Self.withWorkingDatabases($0, body.databases)) }
        let limit = try body.connection_limit.map { try Self.validateConnectionLimit($0) }
        guard body.password != nil || generated != nil || roles != nil || privileges != nil || limit != nil || body.login != nil else {
            throw AppError.invalid(field: "body", issue: "empty", "nothing to change")
        }
        var parameters: [String: JSONValue] = ["user_id": .string(userId)]
        if let password = body.password ?? generated { parameters["password_sealed"] = .string(try secrets.seal(password)) }
        if let roles { parameters["roles"] = JSONValue.encode(roles) }
        if let privileges { parameters["privileges"] = JSONValue.encode(privileges) }
        if let limit { parameters["connection_limit"] = .int(Int64(limit)) }
        if let login = body.login { parameters["login"] = .bool(login) }
        let frozen = parameters
        let operationId = try await withOperation { db in
            try await startOperation(
                OperationRequest(
                    type: .UPDATE_USER, projectId: project.id, instanceId: instanceId, target: ("user", user.id),
                    parameters: .object(frozen), createdBy: principal.userId, allowed: [.RUNNING], newState: nil),
                on: db)
        }
        return (user, try await operation(operationId, projectId: project.id), generated)
    }

    func deleteUser(_ principal: Principal, project: Project, instanceId: String, userId: String) async throws -> (DatabaseUser, Operation) {
        let current = try await instance(instanceId, projectId: project.id)
        try requireAction(.users, current)
        let user = try await databaseUser(userId, projectId: project.id, instanceId: instanceId)
        let owned = try await store.read { db in try await ManagedDatabaseStore.owned(by: user.name, instanceId: instanceId, on: db) }
        guard owned.isEmpty else {
            throw AppError(.conflict, "User '\(user.name)' owns databases \(owned.joined(separator: ", ")); drop them first")
        }
        let operationId = try await withOperation { db in
            try await startOperation(
                OperationRequest(
                    type: .DELETE_USER, projectId: project.id, instanceId: instanceId, target: ("user", user.id),
                    parameters: ["user_id": .string(userId)], createdBy: principal.userId, allowed: [.RUNNING], newState: nil),
                on: db)
        }
        return (user, try await operation(operationId, projectId: project.id))
    }

    /// PostgreSQL role names: letters, digits, `_`, starting with a letter or `_`, at most 63; `pg_` is reserved.
    static func validateRoleName(_ name: String, field: String) throws -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
        guard (1...63).contains(name.count), name.allSatisfy(allowed.contains), name.first.map({ $0.isLetter || $0 == "_" }) == true,
            !name.hasPrefix("pg_"), !["postgres", "public", "fathom"].contains(name)
        else {
            throw AppError.invalid(field: field, issue: "invalid",
                "\(field) must be 1-63 lower-case letters, digits or '_', start with a letter, not be reserved")
        }
        return name
    }

    static func validatePrivileges(_ privileges: [String: [String]]) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        for (database, grants) in privileges {
            guard (1...63).contains(database.count), database.allSatisfy(allowed.contains) else {
                throw AppError.invalid(field: "privileges", issue: "invalid", "database names are 1-63 lower-case letters, digits, '_' or '-'")
            }
            let upper = grants.map { $0.uppercased() }
            guard upper.allSatisfy(allowedPrivileges.contains) else {
                throw AppError.invalid(field: "privileges.\(database)", issue: "invalid",
                    "privileges are \(allowedPrivileges.sorted().joined(separator: ", "))")
            }
            result[database] = Array(Set(upper)).sorted()
        }
        return result
    }

    /// `databases: [d]` adds CONNECT, CREATE and TEMPORARY on each `d` to the privileges.
    static func withWorkingDatabases(_ privileges: [String: [String]], _ databases: [String]?) -> [String: [String]] {
        var merged = privileges
        for database in databases ?? [] { merged[database, default: []] += ["CONNECT", "CREATE", "TEMPORARY"] }
        return merged
    }

    static func validateConnectionLimit(_ limit: Int) throws -> Int {
        guard (-1...10_000).contains(limit) else {
            throw AppError.invalid(field: "connection_limit", issue: "out_of_range", "connection_limit must be -1 (no limit) to 10000")
        }
        return limit
    }
}
