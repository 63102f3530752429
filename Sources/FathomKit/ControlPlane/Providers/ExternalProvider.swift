import Foundation
import Logging
import PostgresNIO

/// Instances that already exist elsewhere: registered with an endpoint and a credential, never provisioned.
/// Creating one verifies that Fathom can connect and reads the server's version.
public struct ExternalProvider: Provider {
    public let name = "external"
    public var unavailableReason: String? { nil }
    public var supportedActions: Set<ProviderAction> { [] }

    public init() {}

    /// Any PostgreSQL version: it is read from the server.
    public func engines() -> [String: [String]] { ["postgresql": []] }

    public func create(_ context: ProviderContext) async throws -> ProvisionResult {
        guard let connection = context.instance.connection, let username = context.credential?["username"]?.stringValue,
            let password = context.credential?["password"]?.stringValue
        else { throw AppError(.configInvalidRequest, "External instance has no connection or credential") }
        await context.progress(10, "connecting to \(connection.host):\(connection.port)")
        let target = PostgresSession.Target(
            host: connection.host, port: connection.port, username: username, password: password, database: connection.database)
        let versionNumber = try await PostgresSession.with(target, logger: context.logger) { connection in
            let rows = try await connection.query("SELECT current_setting('server_version_num') AS v", logger: context.logger)
            for try await (text) in rows.decode(String.self) { return text }
            return ""
        }
        await context.progress(90, "connected")
        let major = (Int(versionNumber) ?? 0) / 10_000
        return ProvisionResult(
            endpoints: [Endpoint(host: connection.host, port: connection.port, role: .primary)],
            version: major > 0 ? String(major) : nil)
    }

    /// Forgetting an external instance touches nothing on the server.
    public func delete(_ context: ProviderContext) async throws {}

    public func update(_ context: ProviderContext, from old: Instance) async throws -> ProvisionResult { throw unsupported("update") }
    public func restart(_ context: ProviderContext) async throws { throw unsupported("restart") }
    public func failover(_ context: ProviderContext) async throws -> ProvisionResult { throw unsupported("failover") }
    public func backup(_ context: ProviderContext, backup: Backup) async throws -> (sizeBytes: Int64, location: String) {
        throw unsupported("backup")
    }
    public func deleteBackup(_ backup: Backup) async throws {}
    public func restore(_ context: ProviderContext, from backup: Backup) async throws { throw unsupported("restore") }
    public func applyUser(_ context: ProviderContext, _ change: UserChange, creating: Bool) async throws { throw unsupported("users") }
    public func dropUser(_ context: ProviderContext, name: String) async throws { throw unsupported("users") }
    public func createDatabase(_ context: ProviderContext, _ spec: DatabaseSpec) async throws { throw unsupported("databases") }
    public func dropDatabase(_ context: ProviderContext, name: String) async throws { throw unsupported("databases") }

    private func unsupported(_ action: String) -> AppError {
        AppError(.unprocessable, "Provider 'external' does not support \(action)")
    }
}
