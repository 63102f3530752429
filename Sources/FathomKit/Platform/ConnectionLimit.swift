import HummingbirdCore
import NIOCore
import Synchronization

/// Counts the server's open connections and, at the configured maximum, makes room by closing the connection that
/// has been quiet longest and has no request in progress; when every connection is busy, new ones wait in the
/// listen backlog until one closes or finishes its request.
///
/// Why close a quiet connection rather than only queue: a client that opens thousands of idle keep-alive (or
/// slow-header) connections would otherwise hold every slot until the idle timeout, and everyone else would wait.
public final class ConnectionLimit: Sendable {
    /// One tracked connection.
    struct Entry {
        let channel: any Channel
        /// Requests read and not yet answered (more than one when the client pipelines).
        var requestsInProgress = 0
        var lastActive: NIODeadline
    }

    struct State {
        var open = 0
        var entries: [ObjectIdentifier: Entry] = [:]
        /// The acceptor is paused for want of room and no connection could be closed when it asked.
        var acceptorWaiting = false
    }

    public let maximum: Int
    private let state = Mutex(State())
    private let metrics: MetricsRegistry?

    public init(maximum: Int, metrics: MetricsRegistry? = nil) {
        self.maximum = maximum
        self.metrics = metrics
    }

    /// Counts a connection the server closed before its client was done, by why (`idle_at_limit`, `header_timeout`).
    func recordClosed(_ reason: String) {
        metrics?.increment(
            "fathom_http_connections_closed_total", help: "Connections the server closed: to make room at the limit, or slow request heads.",
            labels: ["reason": reason])
    }

    /// Connections accepted and not yet closed.
    public var openConnections: Int { state.withLock { $0.open } }

    func accepted() { state.withLock { $0.open += 1 } }
    func closed() { state.withLock { $0.open -= 1 } }

    /// Whether the acceptor may take another connection; at the maximum, closes the quietest idle connection (whose
    /// close then wakes the acceptor) and answers false.
    func hasRoom() -> Bool {
        let victim: (any Channel)? = state.withLock { state in
            guard state.open >= maximum else { return nil }
            guard let quietest = Self.takeQuietestIdle(&state) else {
                // Every connection is busy, or still being set up: the next to register or finish makes room.
                state.acceptorWaiting = true
                return nil
            }
            return quietest
        }
        if let victim {
            recordClosed("idle_at_limit")
            victim.close(promise: nil)
            return false
        }
        return state.withLock { $0.open < maximum }
    }

    func register(_ channel: any Channel) {
        let victim: (any Channel)? = state.withLock { state in
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, lastActive: .now())
            guard state.acceptorWaiting, state.open >= maximum else { return nil }
            state.acceptorWaiting = false
            return Self.takeQuietestIdle(&state)
        }
        if let victim {
            recordClosed("idle_at_limit")
            victim.close(promise: nil)
        }
    }

    /// Removes and returns the idle connection that has been quiet longest.
    private static func takeQuietestIdle(_ state: inout State) -> (any Channel)? {
        var quietest: (key: ObjectIdentifier, lastActive: NIODeadline)?
        for (key, entry) in state.entries where entry.requestsInProgress == 0 {
            if quietest == nil || entry.lastActive < quietest!.lastActive { quietest = (key, entry.lastActive) }
        }
        guard let key = quietest?.key else { return nil }
        return state.entries.removeValue(forKey: key)?.channel
    }

    func unregister(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Bytes arrived on an idle connection: it is no longer the quietest.
    func touched(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.lastActive = .now() }
    }

    func requestStarted(_ channel: any Channel) {
        state.withLock { state in
            state.entries[ObjectIdentifier(channel)]?.requestsInProgress += 1
            state.entries[ObjectIdentifier(channel)]?.lastActive = .now()
        }
    }

    /// A response ended; true when the connection should now close because the acceptor is waiting for room.
    func requestFinished(_ channel: any Channel) -> Bool {
        state.withLock { state in
            let key = ObjectIdentifier(channel)
            guard var entry = state.entries[key] else { return false }
            entry.requestsInProgress = max(0, entry.requestsInProgress - 1)
            entry.lastActive = .now()
            if entry.requestsInProgress == 0, state.acceptorWaiting, state.open >= maximum {
                state.acceptorWaiting = false
                state.entries[key] = nil
                return true
            }
            state.entries[key] = entry
            return false
        }
    }

    /// The delegate Hummingbird's acceptor asks before each accept.
    var acceptorDelegate: some AvailableConnectionsDelegate { Delegate(limit: self) }

    private struct Delegate: AvailableConnectionsDelegate {
        let limit: ConnectionLimit
        mutating func connectionOpened() { limit.accepted() }
        mutating func connectionClosed() { limit.closed() }
        func isAcceptingNewConnections() -> Bool { limit.hasRoom() }
    }
}
