import Logging

/// The long-lived parts every route and command uses, built once by `buildServices`.
public struct AppServices: Sendable {
    public let configuration: FathomConfiguration
    public let store: Store
    public let secrets: SecretBox
    public let identity: Identity
    public let metrics: MetricsRegistry
    public let clock: WallClock
    public let logger: Logger

    public init(
        configuration: FathomConfiguration, store: Store, secrets: SecretBox, clock: WallClock = .system,
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.secrets = secrets
        self.clock = clock
        self.logger = logger
        self.metrics = MetricsRegistry()
        self.identity = Identity(store: store, configuration: configuration, clock: clock, logger: logger)
    }

    /// Opens the configured store, applies pending migrations and loads the secret key.
    public static func open(
        configuration: FathomConfiguration, clock: WallClock = .system, logger: Logger
    ) async throws -> AppServices {
        let store = try await Store.open(url: configuration.resolvedDatabaseURL, logger: logger)
        do {
            try await Migrations.run(on: store)
            let secrets = try SecretBox.load(environmentKey: configuration.secretKey, dataDir: configuration.dataDir)
            return AppServices(configuration: configuration, store: store, secrets: secrets, clock: clock, logger: logger)
        } catch {
            await store.close()
            throw error
        }
    }
}
