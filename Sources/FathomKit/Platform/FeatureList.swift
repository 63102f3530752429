/// The one list of features, in dependency order (a feature may use those above it).
public enum FeatureList {
    public static let types: [any Feature.Type] = [
        IdentityFeature.self,
        JobsFeature.self,
        ControlPlaneFeature.self,
        CapacityFeature.self,
        AssetLedgerFeature.self,
        AccountsFeature.self,
        ConsoleFeature.self,
    ]

    /// Every migration, platform's and features', in version order.
    public static var migrations: [Migration] {
        (PlatformSchema.migrations + types.flatMap { $0.migrations }).sorted { $0.version < $1.version }
    }

    /// Every error code: the platform's and each feature's.
    public static var errorCodes: [ErrorCode] { ErrorCode.platform + types.flatMap { $0.errorCodes } }

    static func build(_ services: AppServices) -> FeatureSet {
        var built = FeatureSet([])
        for type in types {
            built = FeatureSet(built.all + [type.init(services: services, built: built)])
        }
        return built
    }
}
