import SQLKit
import Synchronization

/// A number that moves on with every observed write this process makes to the store (`Store.write`), and on
/// PostgreSQL with every one another process announces (`StoreChangeListener`). An answer computed after reading
/// generation `g` holds every change committed here before `g` was read, and every one announced before.
public final class StoreChanges: Sendable {
    private let value = Atomic<Int64>(0)
    private let listening = Atomic<Bool>(false)

    /// The PostgreSQL channel on which every observed write transaction announces itself, with its store's `origin`.
    static let channel = "fathom_store_changes"

    public var generation: Int64 { value.load(ordering: .acquiring) }

    /// Whether other processes' writes reach `generation` as they commit: while the listener is connected.
    public var othersAnnounced: Bool { listening.load(ordering: .acquiring) }

    func advance() { value.add(1, ordering: .releasing) }

    func setListening(_ on: Bool) { listening.store(on, ordering: .releasing) }

    /// Announces the write of the current transaction at its commit (PostgreSQL sends notifications only then, and
    /// never for a transaction that rolls back).
    static func announce(_ origin: String, on db: any SQLDatabase) async throws {
        try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: origin)) AS sent").run()
    }
}
