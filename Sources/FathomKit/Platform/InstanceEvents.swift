import Synchronization

/// Tells features that cache by instance (the capacity ledger's page positions) that instances were created,
/// renamed, relabelled or deleted, without the feature that changes them knowing who listens.
public final class InstanceEvents: Sendable {
    private let listeners = Mutex<[@Sendable () -> Void]>([])

    public init() {}

    public func subscribe(_ listener: @escaping @Sendable () -> Void) { listeners.withLock { $0.append(listener) } }

    public func changed() {
        for listener in listeners.withLock({ $0 }) { listener() }
    }
}
