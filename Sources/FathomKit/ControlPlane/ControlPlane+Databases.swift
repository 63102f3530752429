import Foundation

extension ControlPlane {
    static let encodings: Set<String> = ["UTF8", "SQL_ASCII", "LATIN1"]
    static let reservedDatabases: Set<String> = ["postgres", "template0", "template1"]

    func managedDatabase(_ name: String, projectId: String, instanceId: String) async throws -> ManagedDatabase {
        _ = try await instance(instanceId, projectId: projectId)
        guard let database = try await store.read({ db in try await ManagedDatabaseStore.find(instanceId: instanceId, name: name, on: db) })
        else { throw AppError(.notFound, "Database '\(name)' not found") }
        return database
    }

    func listManagedDatabases(projectId: String, instanceId: String) async throws -> [ManagedDatabase] {
        _ = try await instance(instanceId, projectId: projectId)
        return try await store.read { db in try await ManagedDatabaseStore.list(instanceId: instanceId, on: db) }
    }

    /// Creates a database through an operation, owned by one of the instance's database users (its owner may
    /// create schemas and tables in it without further grants).
    func createManagedDatabase(_ principal: Principal, project: Project, instanceId: String, _ body: CreateDatabaseBody)
        async throws -> (ManagedDatabase, Operation)
    {
        let current = try await instance(instanceId, projectId: project.id)
        try requireAction(.databases, current)
        let name = try Self.validateDatabaseName(body.name)
        guard let ownerName = body.owner ?? current.defaultUser else {
            throw AppError.invalid(field: "owner", issue: "required", "owner (a database user of the instance) is required")
        }
        let owners = try await listUsers(projectId: project.id, instanceId: instanceId).filter { $0.state == "ACTIVE" }
        guard owners.contains(where: { $0.name == ownerName }) else {
            throw AppError.invalid(field: "owner", issue: "unknown", "owner must be an active database user of this instance")
        }
        let encoding = (body.encoding ?? "UTF8").uppercased().replacingOccurrences(of: "-", with: "")
        guard Self.encodings.contains(encoding) else {
            throw AppError.invalid(field: "encoding", issue: "invalid", "encoding must be one of \(Self.encodings.sorted().joined(separator: ", "))")
        }
        let locale = try Self.validateLocale(body.locale ?? "C.UTF-8")
        let now = clock.millis()
        let database = ManagedDatabase(
            projectId: project.id, instanceId: instanceId, name: name, owner: ownerName, encoding: encoding, locale: locale,
            state: "CREATING", createdAt: now, updatedAt: now)
        let operationId = try await withOperation { db in
            do {
                try await ManagedDatabaseStore.insert(database, on: db)
            } catch let error as StoreError where error.isUniqueViolation {
                throw AppError(.configDuplicateName, "A database named '\(name)' already exists on this instance")
            }
            return try await startOperation(
                OperationRequest(
                    type: .CREATE_DATABASE, projectId: project.id, instanceId: instanceId, target: ("database", name),
                    parameters: ["database": .string(name)], createdBy: principal.userId, allowed: [.RUNNING], newState: nil),
                on: db)
        }
        return (database, try await operation(operationId, projectId: project.id))
    }

    /// Drops a database (and everything in it) through an operation.
    func deleteManagedDatabase(_ principal: Principal, project: Project, instanceId: String, name: String)
        async throws -> (ManagedDatabase, Operation)
    {
        let current = try await instance(instanceId, projectId: project.id)
        try requireAction(.databases, current)
        var database = try await managedDatabase(name, projectId: project.id, instanceId: instanceId)
        guard database.state != "CREATING" && database.state != "DELETING" else {
            throw AppError(.conflict, "Database '\(name)' is \(database.state)")
        }
        let now = clock.millis()
        let operationId = try await withOperation { db in
            try await ManagedDatabaseStore.setState(instanceId: instanceId, name: name, "DELETING", now: now, on: db)
            return try await startOperation(
                OperationRequest(
                    type: .DELETE_DATABASE, projectId: project.id, instanceId: instanceId, target: ("database", name),
                    parameters: ["database": .string(name)], createdBy: principal.userId, allowed: [.RUNNING], newState: nil),
                on: db)
        }
        database.state = "DELETING"
        return (database, try await operation(operationId, projectId: project.id))
    }

    /// Database names follow the role-name rule (lower-case letters, digits, `_`); the server's own are refused.
    static func validateDatabaseName(_ name: String) throws -> String {
        let valid = try? validateRoleName(name, field: "name")
        guard let valid, !reservedDatabases.contains(valid) else {
            throw AppError.invalid(field: "name", issue: "invalid",
                "name must be 1-63 lower-case letters, digits or '_', start with a letter, and not be postgres or a template")
        }
        return valid
    }

    /// Locales are names like `C`, `C.UTF-8` or `en_US.UTF-8`; the server refuses one it does not have.
    static func validateLocale(_ locale: String) throws -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-")
        guard (1...64).contains(locale.count), locale.allSatisfy(allowed.contains) else {
            throw AppError.invalid(field: "locale", issue: "invalid", "locale must look like C, C.UTF-8 or en_US.UTF-8")
        }
        return locale
    }
}
