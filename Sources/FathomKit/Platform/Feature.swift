import Hummingbird
import ServiceLifecycle

/// A feature is a folder with one entry point (a type conforming to `Feature`) that declares everything the
/// application needs from it. The application assembles features from `FeatureList.types` and nothing else, so a
/// new feature adds one line there and touches no other shared file.
public protocol Feature: Sendable {
    /// Schema changes the feature owns, numbered in the store's one global sequence.
    static var migrations: [Migration] { get }
    /// Error codes the feature answers with (the registry, the OpenAPI document and the docs page read them).
    static var errorCodes: [ErrorCode] { get }

    /// Builds the feature over the shared services; `built` holds the features listed before it.
    init(services: AppServices, built: FeatureSet)

    /// Job kinds the feature's work runs as.
    var jobKinds: [JobKind] { get }
    /// Schedules inserted at start when missing (operators own them afterwards).
    var schedules: [ScheduleDefinition] { get }
    /// The feature's route groups (not served by a worker-only process).
    var routeGroups: [any RouteGroup] { get }
    /// Long-running services started with the worker role.
    var workerServices: [any Service] { get }
    /// Long-running services every process runs, whatever its role (listeners that keep in-process caches true).
    var replicaServices: [any Service] { get }
}

extension Feature {
    public static var migrations: [Migration] { [] }
    public static var errorCodes: [ErrorCode] { [] }
    public var jobKinds: [JobKind] { [] }
    public var schedules: [ScheduleDefinition] { [] }
    public var routeGroups: [any RouteGroup] { [] }
    public var workerServices: [any Service] { [] }
    public var replicaServices: [any Service] { [] }
}

/// The built features, in list order; a feature reaches another (listed earlier) through `get`.
public final class FeatureSet: Sendable {
    private let features: [any Feature]

    init(_ features: [any Feature]) { self.features = features }

    public var all: [any Feature] { features }

    /// The feature of type `F`; every type in `FeatureList.types` is built, so a missing one is a programming error.
    public func get<F: Feature>(_ type: F.Type) -> F {
        guard let feature = features.lazy.compactMap({ $0 as? F }).first else {
            preconditionFailure("\(F.self) is not built yet: list it before the features that use it")
        }
        return feature
    }
}
