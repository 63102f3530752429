import Synchronization

/// Which machine each DBaaS instance runs on, as the asset ledger knows it: the `runs_on` of the instance view and
/// of the database ledger's items. The ledger is listed after the features that show instances, so it provides the
/// lookup here and they ask through this, without depending on it.
public final class InstancePlacements: Sendable {
    /// The VM or host carrying an instance's address, the host under it and that host's cluster (display names).
    public struct Placement: Sendable, Encodable, Equatable {
        public var assetUuid: String
        public var displayName: String
        public var host: String?
        public var cluster: String?
    }

    private let lookup = Mutex<(any InstancePlacementLookup)?>(nil)

    public init() {}

    func provide(_ lookup: any InstancePlacementLookup) { self.lookup.withLock { $0 = lookup } }

    /// The placements of these instances (by integer instance id). Unknown ones are absent; so is everything when no
    /// ledger provides a lookup or it fails — the field is additive and must never break the view that carries it.
    func of(_ instanceIds: [Int64]) async -> [Int64: Placement] {
        guard !instanceIds.isEmpty, let provider = lookup.withLock({ $0 }) else { return [:] }
        return (try? await provider.placements(Array(Set(instanceIds)))) ?? [:]
    }
}

/// What answers `InstancePlacements` (the asset ledger's store).
protocol InstancePlacementLookup: Sendable {
    func placements(_ instanceIds: [Int64]) async throws -> [Int64: InstancePlacements.Placement]
}
