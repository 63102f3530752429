import Synchronization

/// A number that moves on with every observed write this process makes to the store (`Store.write`). An answer
/// computed after reading generation `g` holds every change committed here before `g` was read.
public final class StoreChanges: Sendable {
    private let value = Atomic<Int64>(0)

    public var generation: Int64 { value.load(ordering: .acquiring) }

    func advance() { value.add(1, ordering: .releasing) }
}
