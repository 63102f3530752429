import Foundation
import Logging
import PostgresNIO

/// Instances that already exist elsewhere: registered with an endpoint and a credential, never provisioned.
/// Creating one verifies that Fathom can connect and reads the server's version.
public struct ExternalProvider: Provider {
    public let name = "external"
    public var unavailableReason: String? { nil }
    public var supportedActions: Set<ProviderAction> { [] }

    public let policy: ExternalNetworkPolicy

    public init(policy: ExternalNetworkPolicy = ExternalNetworkPolicy()) {
        self.policy = policy
    }

    /// What the caller sees whatever went wrong: refused by policy, closed, open, wrong password all look alike, so
    /// the provider is no port scanner or password oracle. The detail goes to the log and the admin-only part of the
    /// operation's error.
    static let genericFailure = "Could not connect to the external instance (check the endpoint, the network policy and the credential)"

    /// Any PostgreSQL version: it is read from the server.
    public func engines() -> [String: [String]] { ["postgresql": []] }

    public func create(_ context: ProviderContext) async throws -> ProvisionResult {
        guard let connection = context.instance.connection, let username = context.credential?["username"]?.stringValue,
            let password = context.credential?["password"]?.stringValue
        else { throw AppError(.configInvalidRequest, "External instance has no connection or credential") }
        await context.progress(10, "connecting")
        let versionNumber: String
        do {
            if let refusal = policy.refusal(host: connection.host, port: connection.port) {
                throw AppError(.configInvalidRequest, refusal)
            }
            // Connect to the address just checked, not to the name again (it could resolve elsewhere by then).
            let target = PostgresSession.Target(
                host: policy.checkedAddress(host: connection.host) ?? connection.host, port: connection.port,
                username: username, password: password, database: connection.database)
            versionNumber = try await PostgresSession.with(target, logger: context.logger) { connection in
                let rows = try await connection.query("SELECT current_setting('server_version_num') AS v", logger: context.logger)
                for try await (text) in rows.decode(String.self) { return text }
                return ""
            }
        } catch {
            let detail = (error as? AppError)?.message ?? PostgresSession.describe(error)
            context.logger.warning(
                "external instance connection failed",
                metadata: ["instance_id": .string(context.instance.id), "detail": .string(detail)])
            throw AppError(.databaseConnectionError, AdminDetail.attach(Self.genericFailure, detail: detail))
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
