import Foundation

/// `fathom bench ingest`: a generated collect (clusters, hosts, VMs with realistic normalized records) served by a
/// trivial exec collector (`/bin/cat` of the document), run twice through the real run path — collector process,
/// parse, schema validation, batched ingest — the second time with nothing changed.
public enum IngestBenchmark {
    public struct Figures: Sendable {
        public var assets: Int
        public var relations: Int
        public var documentBytes: Int
        public var firstRun: Duration
        public var repeatRun: Duration
        /// Peak resident set size of this process (VmHWM) during the two collects, in bytes.
        public var peakRSSBytes: Int64
        /// Peak resident set size while the bench generated the document and timed the phases, before the collects.
        public var generatorPeakRSSBytes: Int64
    }

    public static func run(services: AppServices, assets: Int, relations: Int, log: (String) -> Void) async throws -> Figures {
        let feature = services.features.get(AssetLedgerFeature.self)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fathom-ingest-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = directory.appendingPathComponent("collect.json")
        let generated = try generate(assets: assets, relations: relations)
        try generated.data.write(to: document)
        log("generated \(generated.assets) assets, \(generated.relations) relations, \(generated.data.count / 1_048_576) MiB")

        // Where the time goes before the store: parse, response schema, normalized records.
        do {
            var clock = ContinuousClock.now
            let parsed = CollectorProtocol.parse(generated.data) ?? [:]
            log("phase parse: \(ContinuousClock.now - clock)")
            clock = ContinuousClock.now
            _ = CollectorSchemas.response.violation(.object(parsed), at: "")
            log("phase response schema: \(ContinuousClock.now - clock)")
            clock = ContinuousClock.now
            _ = Inventory.read(parsed)
            log("phase normalized schema + records: \(ContinuousClock.now - clock)")
        }
        // Generating the document (a tree of values encoded at once) and the phases above are the bench's own work: the
        // memory they freed is handed back and the peak is measured again from here, so it is the collects' peak.
        let generatorPeak = peakRSS()
        releaseFreeMemory()
        resetPeakRSS()

        let source = try await feature.sources.create(
            .init(name: "bench-\(UUID().uuidString.prefix(8))", sourceType: "exec", config: [
                "command": "/bin/cat", "args": [.string(document.path)], "timeout_ms": 3_600_000,
            ], credential: nil))
        var durations: [Duration] = []
        for attempt in 1...2 {
            guard case .queued(let run) = try await feature.runs.trigger(
                sourceId: source.sourceId, mode: "collect", triggerType: "manual")
            else { throw AppError(.configResourceConflict, "the bench source has an active run") }
            let started = ContinuousClock.now
            let cpuBefore = processCPUSeconds()
            _ = try await feature.executor.execute(runId: run.runId)
            let elapsed = ContinuousClock.now - started
            log(String(format: "run %d: %.2f s of this process's CPU", attempt, processCPUSeconds() - cpuBefore))
            let ended = try await feature.runs.get(run.runId)
            guard ended.status == .succeeded else {
                throw AppError(.jobFailed, "bench run \(attempt) ended \(ended.status.rawValue): \(ended.errors.first ?? .null)")
            }
            durations.append(elapsed)
            log("run \(attempt): \(elapsed) (\(ended.stats?["ingest"] ?? .null))")
        }
        return Figures(
            assets: generated.assets, relations: generated.relations, documentBytes: generated.data.count,
            firstRun: durations[0], repeatRun: durations[1], peakRSSBytes: peakRSS(), generatorPeakRSSBytes: generatorPeak)
    }

    /// Clusters of 50 hosts, hosts of 25 VMs: every host `member_of` its cluster, every VM `runs_on` its host and
    /// `hosts_vm` back; further `runs_on` edges (a VM's previous host) until `relations` is reached. Names, ids,
    /// UUIDs and addresses are numbered from `first` (VMs; hosts and clusters in proportion), so two documents
    /// whose ranges overlap describe the same machines, as two sources watching one estate would.
    static func generate(assets: Int, relations target: Int, first: Int = 0) throws -> (data: Data, assets: Int, relations: Int) {
        let hostCount = max(1, assets / 26)
        let clusterCount = max(1, hostCount / 50)
        let vmCount = max(0, assets - hostCount - clusterCount)
        let (firstVM, firstHost, firstCluster) = (first, first / 25, first / 1250)
        var items: [JSONValue] = []
        items.reserveCapacity(assets)
        var edges: [JSONValue] = []
        edges.reserveCapacity(target)
        func end(_ kind: String, _ id: String) -> JSONValue { ["external_kind": .string(kind), "external_id": .string(id)] }
        func edge(_ type: String, _ from: JSONValue, _ to: JSONValue) -> JSONValue { ["type": .string(type), "from": from, "to": to] }
        func asset(_ kind: String, _ id: String, _ normalized: JSONValue, _ raw: JSONValue) -> JSONValue {
            ["external_kind": .string(kind), "external_id": .string(id), "normalized": normalized, "raw_payload": raw]
        }
        for index in firstCluster..<(firstCluster + clusterCount) {
            let id = "domain-c\(index)"
            let identity: JSONValue = ["caption": .string("cluster-\(index)")]
            let normalized: JSONValue = ["version": "normalized-v1", "kind": "cluster", "identity": identity]
            let raw: JSONValue = ["moid": .string(id)]
            items.append(asset("cluster", id, normalized, raw))
        }
        for index in firstHost..<(firstHost + hostCount) {
            let id = "host-\(index)"
            let identity: JSONValue = [
                "hostname": .string("esxi-\(index).example.com"), "serial_number": .string("SN\(index)"),
                "vendor": "Dell Inc.", "model": "PowerEdge R750",
            ]
            let network: JSONValue = ["management_ip": .string("10.1.\(index / 250).\(index % 250)")]
            let hardware: JSONValue = ["cpu_count": 64, "memory_bytes": 549_755_813_888]
            let normalized: JSONValue = [
                "version": "normalized-v1", "kind": "host", "identity": identity, "network": network, "hardware": hardware,
            ]
            let raw: JSONValue = ["moid": .string(id), "build": "22380479"]
            items.append(asset("host", id, normalized, raw))
            edges.append(edge("member_of", end("host", id), end("cluster", "domain-c\(firstCluster + index % clusterCount)")))
        }
        for index in firstVM..<(firstVM + vmCount) {
            let id = "vm-\(index)"
            let host = "host-\(firstHost + index % hostCount)"
            let identity: JSONValue = [
                "hostname": .string("app-\(index).example.com"), "caption": .string("app-\(index)"),
                "machine_uuid": .string("4210" + hex(index, width: 28)),
            ]
            let ip = "10.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256)"
            let mac = "00:50:56:" + [index >> 16, index >> 8, index].map { hex($0 & 255, width: 2) }.joined(separator: ":")
            let network: JSONValue = ["ip_addresses": [.string(ip)], "mac_addresses": [.string(mac)]]
            let disk: JSONValue = ["name": "Hard disk 1", "size_bytes": 107_374_182_400, "type": "thin"]
            let hardware: JSONValue = ["cpu_count": 4, "memory_bytes": 17_179_869_184, "disks": [disk]]
            let os: JSONValue = ["name": "Ubuntu Linux (64-bit)", "version": "22.04"]
            let runtime: JSONValue = ["power_state": "poweredOn", "tools_running": true, "tools_status": "toolsOk"]
            var normalized: [String: JSONValue] = ["version": "normalized-v1", "kind": "vm", "identity": identity]
            normalized["network"] = network
            normalized["hardware"] = hardware
            normalized["os"] = os
            normalized["runtime"] = runtime
            let raw: JSONValue = ["moid": .string(id), "guestId": "ubuntu64Guest", "numCpu": 4]
            items.append(asset("vm", id, .object(normalized), raw))
            edges.append(edge("runs_on", end("vm", id), end("host", host)))
            if edges.count < target { edges.append(edge("hosts_vm", end("host", host), end("vm", id))) }
        }
        var extra = 0
        while edges.count < target && vmCount > 0 && hostCount > 1 {
            edges.append(edge("runs_on", end("vm", "vm-\(firstVM + extra % vmCount)"), end("host", "host-\(firstHost + (extra + 1) % hostCount)")))
            extra += 1
        }
        let stats: JSONValue = [
            "assets": .int(Int64(items.count)), "relations": .int(Int64(edges.count)), "inventory_complete": true, "warnings": [],
        ]
        let response: JSONValue = [
            "schema_version": "collector-response-v1", "assets": .array(items), "relations": .array(edges), "stats": stats,
            "errors": [],
        ]
        return (try JSONCoding.encoder().encode(response), items.count, edges.count)
    }

    static func hex(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// User and system CPU time of this process so far: on a shared machine, closer to what a quiet one would take
    /// than the wall clock (the store's own threads included, a PostgreSQL server's processes not).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Returns the heap's free pages to the system (glibc keeps them otherwise, and they count as resident).
    /// (`malloc_trim` is not in the Glibc module Swift imports, so it is looked up by name.)
    static func releaseFreeMemory() {
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        typealias Trim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    /// Starts VmHWM again from the current resident set (Linux: `5` written to /proc/self/clear_refs).
    static func resetPeakRSS() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }

    static func peakRSS() -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int64(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
}
