/// The provider of `fathom demo seed`'s instances: nothing runs behind them, so every action is refused (422) and
/// deleting one only forgets it. Keeping them under their own provider keeps demo data out of real work.
public struct DemoProvider: Provider {
    public static let name = "demo"
    public var name: String { Self.name }
    public func engines() -> [String: [String]] { [:] }
    public var unavailableReason: String? { "demo instances are seeded by `fathom demo seed`, not created" }
    public var supportedActions: Set<ProviderAction> { [] }

    public init() {}

    public func create(_ context: ProviderContext) async throws -> ProvisionResult { throw refused("create") }
    public func update(_ context: ProviderContext, from old: Instance) async throws -> ProvisionResult { throw refused("update") }
    /// Nothing to stop or remove.
    public func delete(_ context: ProviderContext) async throws {}
    public func restart(_ context: ProviderContext) async throws { throw refused("restart") }
    public func failover(_ context: ProviderContext) async throws -> ProvisionResult { throw refused("failover") }
    public func backup(_ context: ProviderContext, backup: Backup) async throws -> (sizeBytes: Int64, location: String) {
        throw refused("backup")
    }
    public func deleteBackup(_ backup: Backup) async throws {}
    public func restore(_ context: ProviderContext, from backup: Backup) async throws { throw refused("restore") }
    public func applyUser(_ context: ProviderContext, _ change: UserChange, creating: Bool) async throws { throw refused("users") }
    public func dropUser(_ context: ProviderContext, name: String) async throws { throw refused("users") }
    public func createDatabase(_ context: ProviderContext, _ spec: DatabaseSpec) async throws { throw refused("databases") }
    public func dropDatabase(_ context: ProviderContext, name: String) async throws { throw refused("databases") }

    private func refused(_ action: String) -> AppError {
        AppError(.unprocessable, "Demo instances have no server: '\(action)' is not available")
    }
}
