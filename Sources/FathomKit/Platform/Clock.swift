import Foundation
import Synchronization

/// Where "now" comes from: the system clock in production, a hand-moved one in tests of expiry and schedules.
public struct WallClock: Sendable {
    private let provider: @Sendable () -> Date

    public init(_ provider: @escaping @Sendable () -> Date) {
        self.provider = provider
    }

    public static let system = WallClock { Date() }

    public func now() -> Date { provider() }
    public func millis() -> Int64 { Millis.from(provider()) }
}

/// A clock that only moves when told to.
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    public func advance(by interval: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(interval) }
    }

    public var wallClock: WallClock {
        WallClock { [self] in current.withLock { $0 } }
    }
}
