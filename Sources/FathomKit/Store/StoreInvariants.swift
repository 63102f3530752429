import Foundation

/// One invariant of a settled store and the rows or processes that break it.
public struct InvariantResult: Sendable, Encodable {
    public var name: String
    public var summary: String
    public var violations: [String]

    public var passed: Bool { violations.isEmpty }
}

/// What must hold once Fathom's work has settled and its servers are stopped (after a crash, say): every
/// operation and run finished, no instance half-way through a change, the local provider's servers matching the
/// instance rows, no job run twice without a recorded reason, each schedule slot fired once, and a sound store.
/// `fathom store check` and the chaos script run these.
public struct StoreInvariants: Sendable {
    /// States only an operation in progress may leave an instance in.
    public static let transitionalStates: [InstanceState] = [.CREATING, .RESTARTING, .FAILING_OVER, .RESTORING, .BACKING_UP, .DELETING]

    let store: InvariantStore
    /// The data directory whose `instances/` holds local instances; nil skips the server check.
    let dataDir: String?
    /// Servers found running; a parameter so tests can present processes of their own.
    let scan: @Sendable (String) -> [LocalServer]

    public init(store: Store, dataDir: String?, scan: @escaping @Sendable (String) -> [LocalServer] = LocalServerScan.servers) {
        self.store = InvariantStore(store: store)
        self.dataDir = dataDir
        self.scan = scan
    }

    /// Runs every check; none stops the others.
    public func check() async throws -> [InvariantResult] {
        var results = [
            InvariantResult(
                name: "operations_finished", summary: "every operation, asset-ledger run and backup reached a final state",
                violations: try await store.unfinishedOperations() + store.unfinishedAssetRuns() + store.unsettledBackups()),
            InvariantResult(
                name: "no_running_jobs", summary: "no job is held by a lease (checked with every server stopped)",
                violations: try await store.runningJobs()),
            InvariantResult(
                name: "instances_settled", summary: "no instance is left in a transitional state",
                violations: try await store.transitionalInstances(Self.transitionalStates.map(\.rawValue))),
            InvariantResult(
                name: "jobs_ran_once", summary: "every job ran once, or again with a recorded reason, within its attempts",
                violations: try await store.jobsRunMoreThanOnce()),
            InvariantResult(
                name: "schedule_slots_once", summary: "each schedule slot fired once, into a job of its own",
                violations: Self.slotViolations(try await store.fires())),
            InvariantResult(
                name: "references", summary: "rows name only instances and operations that exist",
                violations: try await store.danglingReferences()),
            InvariantResult(
                name: "store_integrity", summary: "the store's own integrity and foreign-key checks pass",
                violations: try await store.integrity()),
        ]
        if let dataDir {
            results.append(
                InvariantResult(
                    name: "local_servers", summary: "a PostgreSQL server runs for each RUNNING local instance node, and no other",
                    violations: Self.serverViolations(instances: try await store.localInstances(), running: scan(dataDir))))
        }
        return results
    }

    /// A job shared by two slots, or two slots of one schedule closer together than its cadence allows (counting
    /// only slots after the schedule's anchor, which moves when the schedule is retimed).
    static func slotViolations(_ fires: [InvariantStore.Fire]) -> [String] {
        var lines: [String] = []
        var slotsByJob: [Int64: [String]] = [:]
        for fire in fires { slotsByJob[fire.jobId, default: []].append("\(fire.schedule)@\(fire.slotAt)") }
        for (job, slots) in slotsByJob.sorted(by: { $0.key < $1.key }) where slots.count > 1 {
            lines.append("job \(job) was enqueued by \(slots.count) slots: \(slots.joined(separator: ", "))")
        }
        for (schedule, group) in Dictionary(grouping: fires, by: \.schedule).sorted(by: { $0.key < $1.key }) {
            let current = group.filter { $0.slotAt > $0.anchorAt }.sorted { $0.slotAt < $1.slotAt }
            // Daily slots are at least 23 hours apart (a day that loses an hour to daylight saving).
            let minimum = Int64(current.first?.intervalMinutes.map { $0 * 60_000 } ?? 23 * 3_600_000)
            for (earlier, later) in zip(current, current.dropFirst()) where later.slotAt - earlier.slotAt < minimum {
                lines.append("schedule \(schedule) fired slots \(earlier.slotAt) and \(later.slotAt), closer than its cadence")
            }
        }
        return lines
    }

    /// Servers with no live instance node behind them, and RUNNING instance nodes with no server.
    static func serverViolations(instances: [Instance], running: [LocalServer]) -> [String] {
        var lines: [String] = []
        let live = Dictionary(instances.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for server in running.sorted(by: { $0.dataDirectory < $1.dataDirectory }) {
            guard let instance = live[server.instanceId] else {
                lines.append("server pid \(server.pid) runs \(server.dataDirectory) but instance \(server.instanceId) does not exist (or is deleted)")
                continue
            }
            if !instance.endpoints.contains(where: { $0.port == server.port }) {
                lines.append("server pid \(server.pid) runs \(server.dataDirectory), which is not an endpoint of \(instance.id)")
            }
        }
        let up = Set(running.map { "\($0.instanceId):\($0.port)" })
        for instance in instances where instance.state == .RUNNING {
            for endpoint in instance.endpoints where !up.contains("\(instance.id):\(endpoint.port)") {
                lines.append("instance \(instance.id) is RUNNING but no server runs its \(endpoint.role.rawValue) node on port \(endpoint.port)")
            }
        }
        return lines
    }
}
