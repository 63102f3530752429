import Synchronization

/// An in-process cache bounded three ways: entries expire after a TTL, the least recently used entry goes first
/// when the entry limit or the memory cap is reached, and each namespace keeps its own statistics.
public final class BoundedCache: Sendable {
    public struct Limits: Sendable {
        public var maxEntries: Int
        public var maxBytes: Int
        public var ttlMillis: Int64

        public init(maxEntries: Int = 100_000, maxBytes: Int = 64 << 20, ttlMillis: Int64 = 600_000) {
            self.maxEntries = maxEntries
            self.maxBytes = maxBytes
            self.ttlMillis = ttlMillis
        }
    }

    /// Counters of one namespace.
    public struct Stats: Sendable, Equatable {
        public var entries = 0
        public var bytes = 0
        public var hits = 0
        public var misses = 0
        public var evictions = 0
        public var expirations = 0
        public var invalidations = 0

        public var hitRatio: Double { hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses) }
    }

    private struct Key: Hashable {
        var namespace: String
        var key: String
    }

    /// A slot of the recency list (indices into `nodes`, so the list costs no allocation per entry).
    private struct Node {
        var key: Key
        var value: any Sendable
        var bytes: Int
        var expiresAt: Int64
        var previous: Int
        var next: Int
    }

    private struct State {
        var index: [Key: Int] = [:]
        var nodes: [Node?] = []
        var free: [Int] = []
        var head = -1  // most recent
        var tail = -1  // least recent
        var bytes = 0
        var stats: [String: Stats] = [:]
    }

    public let limits: Limits
    private let now: @Sendable () -> Int64
    private let state = Mutex(State())

    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> Int64) {
        self.limits = limits
        self.now = now
    }

    /// The value under `key`, counting a hit, or nil counting a miss (an expired entry is a miss and is dropped).
    public func get<T: Sendable>(_ namespace: String, _ key: String, as type: T.Type = T.self) -> T? {
        let now = now()
        return state.withLock { state -> T? in
            let full = Key(namespace: namespace, key: key)
            guard let slot = state.index[full], let node = state.nodes[slot] else {
                state.stats[namespace, default: Stats()].misses += 1
                return nil
            }
            guard node.expiresAt > now, let value = node.value as? T else {
                Self.remove(slot, from: &state)
                state.stats[namespace, default: Stats()].expirations += 1
                state.stats[namespace, default: Stats()].misses += 1
                return nil
            }
            Self.unlink(slot, in: &state)
            Self.pushFront(slot, in: &state)
            state.stats[namespace, default: Stats()].hits += 1
            return value
        }
    }

    /// The value under `key` without counting a hit or a miss or refreshing its recency (for statistics pages).
    public func peek<T: Sendable>(_ namespace: String, _ key: String, as type: T.Type = T.self) -> T? {
        let now = now()
        return state.withLock { state -> T? in
            guard let slot = state.index[Key(namespace: namespace, key: key)], let node = state.nodes[slot], node.expiresAt > now else {
                return nil
            }
            return node.value as? T
        }
    }

    /// Stores `value` (its approximate size `bytes`), evicting least recently used entries to stay within limits.
    public func set(_ namespace: String, _ key: String, _ value: some Sendable, bytes: Int) {
        let expiresAt = now() + limits.ttlMillis
        let limits = self.limits
        state.withLock { state in
            let full = Key(namespace: namespace, key: key)
            if let slot = state.index[full] { Self.remove(slot, from: &state) }
            let size = bytes + namespace.utf8.count + key.utf8.count + 64
            guard size <= limits.maxBytes else { return }
            while state.index.count >= limits.maxEntries || state.bytes + size > limits.maxBytes, state.tail >= 0 {
                let victim = state.tail
                if let evicted = state.nodes[victim]?.key.namespace { state.stats[evicted, default: Stats()].evictions += 1 }
                Self.remove(victim, from: &state)
            }
            let node = Node(key: full, value: value, bytes: size, expiresAt: expiresAt, previous: -1, next: -1)
            let slot: Int
            if let reused = state.free.popLast() {
                slot = reused
                state.nodes[slot] = node
            } else {
                slot = state.nodes.count
                state.nodes.append(node)
            }
            state.index[full] = slot
            state.bytes += size
            state.stats[namespace, default: Stats()].entries += 1
            state.stats[namespace, default: Stats()].bytes += size
            Self.pushFront(slot, in: &state)
        }
    }

    /// Removes the entries of `namespace` whose key satisfies `matching`; returns how many were removed.
    @discardableResult
    public func remove(_ namespace: String, where matching: (String) -> Bool) -> Int {
        state.withLock { state in
            let slots = state.index.filter { $0.key.namespace == namespace && matching($0.key.key) }.map(\.value)
            for slot in slots { Self.remove(slot, from: &state) }
            state.stats[namespace, default: Stats()].invalidations += slots.count
            return slots.count
        }
    }

    /// Removes one entry; returns 1 if it was there.
    @discardableResult
    public func remove(_ namespace: String, key: String) -> Int {
        state.withLock { state in
            guard let slot = state.index[Key(namespace: namespace, key: key)] else { return 0 }
            Self.remove(slot, from: &state)
            state.stats[namespace, default: Stats()].invalidations += 1
            return 1
        }
    }

    /// Statistics by namespace (every namespace ever used, also when empty now).
    public func stats() -> [String: Stats] { state.withLock { $0.stats } }

    public var totalBytes: Int { state.withLock { $0.bytes } }

    private static func remove(_ slot: Int, from state: inout State) {
        guard let node = state.nodes[slot] else { return }
        unlink(slot, in: &state)
        state.index[node.key] = nil
        state.nodes[slot] = nil
        state.free.append(slot)
        state.bytes -= node.bytes
        state.stats[node.key.namespace, default: Stats()].entries -= 1
        state.stats[node.key.namespace, default: Stats()].bytes -= node.bytes
    }

    private static func unlink(_ slot: Int, in state: inout State) {
        guard let node = state.nodes[slot] else { return }
        if node.previous >= 0 { state.nodes[node.previous]?.next = node.next } else if state.head == slot { state.head = node.next }
        if node.next >= 0 { state.nodes[node.next]?.previous = node.previous } else if state.tail == slot { state.tail = node.previous }
        state.nodes[slot]?.previous = -1
        state.nodes[slot]?.next = -1
    }

    private static func pushFront(_ slot: Int, in state: inout State) {
        state.nodes[slot]?.next = state.head
        state.nodes[slot]?.previous = -1
        if state.head >= 0 { state.nodes[state.head]?.previous = slot }
        state.head = slot
        if state.tail < 0 { state.tail = slot }
    }
}
