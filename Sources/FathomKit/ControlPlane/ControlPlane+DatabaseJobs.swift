import Foundation

extension ControlPlane {
    /// Creates or drops a managed database on the instance, then records it.
    func runDatabaseOperation(_ operation: Operation, instance: Instance, provider: any Provider, context: ProviderContext) async throws {
        guard let name = operation.parameters["database"]?.stringValue else { throw AppError(.configInvalidRequest) }
        guard let database = try await store.read({ db in try await ManagedDatabaseStore.find(instanceId: instance.id, name: name, on: db) })
        else { throw AppError(.notFound, "Database '\(name)' not found") }
        let now = clock.millis()
        if operation.type == .DELETE_DATABASE {
            try await provider.dropDatabase(context, name: name)
            try await store.write { db in
                try await ManagedDatabaseStore.remove(instanceId: instance.id, name: name, on: db)
                try await Self.releaseInstance(instance.id, operation.id, on: db)
            }
            return
        }
        try await provider.createDatabase(
            context, DatabaseSpec(name: name, owner: database.owner, encoding: database.encoding, locale: database.locale))
        try await store.write { db in
            try await ManagedDatabaseStore.setState(instanceId: instance.id, name: name, "ACTIVE", now: now, on: db)
            try await Self.releaseInstance(instance.id, operation.id, on: db)
        }
    }

    /// The default user (password chosen when the create was accepted, passed sealed) and the database it owns,
    /// made right after the server: the first connection a new instance offers.
    func createDefaults(_ operation: Operation, instance: Instance, provider: any Provider, context: ProviderContext) async throws {
        guard let database = instance.defaultDatabase, let user = instance.defaultUser,
            let sealed = operation.parameters["password_sealed"]?.stringValue, let userId = operation.parameters["user_id"]?.stringValue
        else { return }
        let password = try secrets.open(sealed)
        let change = UserChange(
            name: user, password: password, login: true, connectionLimit: -1, roles: [],
            privileges: [database: ["CONNECT", "CREATE", "TEMPORARY"]])
        try await provider.applyUser(context, change, creating: true)
        try await provider.createDatabase(context, DatabaseSpec(name: database, owner: user, encoding: "UTF8", locale: "C.UTF-8"))
        // Privileges on a database are granted once it exists.
        try await provider.applyUser(context, change, creating: false)
        let now = clock.millis()
        try await store.write { db in
            try await DatabaseUserStore.markActive(userId, change: change, now: now, on: db)
            try await ManagedDatabaseStore.setState(instanceId: instance.id, name: database, "ACTIVE", now: now, on: db)
            try await Self.eraseSecrets(operation.id, on: db)
        }
    }
}
