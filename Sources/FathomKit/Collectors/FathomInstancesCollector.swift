import Foundation

/// The `fathom` source type: every DBaaS instance (local and external) as a `database_instance` asset, with
/// `runs_on` to the VM or host — collected by another source — that carries its endpoint's address.
///
/// Why the match is made here and the ingest only follows a reference: the address match is a judgement (IP or
/// hostname, VM before host, the most recent sighting), and it is made once, where the ledger's machines are read;
/// the relation it produces names its target exactly — `{external_kind, external_id, source_id}`, the identity the
/// other source gave it — so the ingest resolves it like any relation, through that source's links, and a later
/// complete collect of this source replaces it (a moved database gets a new edge, the old one goes inactive).
/// Endpoints on loopback (local instances) stand for this machine: `config.local_address`, else this host's name.
struct FathomInstancesCollector: Sendable {
    static let sourceType = "fathom"
    let store: FathomInstancesStore

    func respond(to request: CollectorRequest) async -> JSONValue {
        do {
            return try await run(request).document()
        } catch let failure as CollectorFailure {
            return CollectorOutcome.failed(failure, prefix: "FATHOM")
        } catch {
            // The store was unreachable for a moment (it serves this very run): worth trying again.
            return CollectorOutcome.failed(CollectorFailure(.networkError, "the store could not be read: \(type(of: error))"), prefix: "FATHOM")
        }
    }

    /// A run's collection in this process, read back like a plugin's output (and bounded by the run's timeout).
    func run(request data: Data, timeout: Duration) async throws -> CollectorProcess.Output {
        guard let request = CollectorRequest(data) else {
            throw CollectorProcess.Failure.cannotStart("the request is not a collector-request-v1 document")
        }
        return try await withThrowingTaskGroup(of: Data?.self) { group in
            group.addTask { Data(CollectorJSON.text(await respond(to: request)).utf8) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let stdout = first else { throw CollectorProcess.Failure.timedOut }
            return CollectorProcess.Output(status: 0, stdout: stdout, stderrTail: "")
        }
    }

    private func run(_ request: CollectorRequest) async throws -> CollectorOutcome {
        let localAddress: String
        switch request.config["local_address"] {
        case nil, .null?: localAddress = ProcessInfo.processInfo.hostName
        case .string(let text)? where !text.isEmpty: localAddress = text
        default: throw CollectorFailure(.configInvalid, "config.local_address must be a hostname or IP address", context: ["field": "local_address"])
        }
        let instances = try await store.instances()
        if request.mode == "detect" {
            return CollectorOutcome(detect: ["target_version": "1", "driver": "fathom@v1",
                                             "capabilities": ["instances": .int(Int64(instances.count)), "relations": ["runs_on"]]])
        }
        // healthcheck: the store answered. collect_hosts / collect_vms: hosts and VMs are other sources' to collect.
        guard request.mode == "collect" else { return CollectorOutcome() }
        let index = MachineAddressIndex(try await store.machines(excluding: request.sourceId))
        var outcome = CollectorOutcome()
        var ambiguous: [String] = []
        for item in instances {
            let instance = item.instance
            outcome.assets.append(Self.asset(item))
            let addresses = Self.addresses(instance).map { MachineAddressIndex.isLoopback(MachineAddressIndex.normalize($0)) ? localAddress : $0 }
            guard let found = index.machine(for: addresses) else { continue }
            if found.ambiguous { ambiguous.append(instance.id) }
            outcome.relations.append([
                "type": "runs_on",
                "from": ["external_kind": "database_instance", "external_id": .string(instance.id)],
                "to": ["external_kind": .string(found.machine.kind), "external_id": .string(found.machine.externalId),
                       "source_id": .string(found.machine.sourceId)],
                "raw_payload": ["matched_address": .string(found.address)],
            ])
        }
        if !ambiguous.isEmpty {
            outcome.warnings.append("\(ambiguous.count) instances match more than one machine equally well (\(ambiguous.prefix(5).joined(separator: ", "))); the most recently seen was taken")
        }
        return outcome
    }

    /// Where clients reach the instance, primary first: its endpoints, else (external) the registered connection.
    static func addresses(_ instance: Instance) -> [String] {
        let endpoints = instance.endpoints.sorted { ($0.role == .primary ? 0 : 1) < ($1.role == .primary ? 0 : 1) }.map(\.host)
        var seen = Set<String>()
        return (endpoints + [instance.connection?.host].compactMap { $0 }).filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    static func asset(_ item: FathomInstancesStore.ProjectInstance) -> JSONValue {
        let instance = item.instance
        let primary = instance.endpoints.first { $0.role == .primary } ?? instance.endpoints.first
        let host = primary?.host ?? instance.connection?.host
        let port = primary?.port ?? instance.connection?.port
        let isIP = host.map(HTTPTransport.isIPAddress) ?? false
        let endpoint: JSONValue = host.map { host in
            .string((host.contains(":") ? "[\(host)]" : host) + (port.map { ":\($0)" } ?? ""))
        } ?? .null
        let normalized: JSONValue = [
            "version": "normalized-v1", "kind": "database_instance",
            "identity": [
                "caption": .string(instance.name), "cloud_native_id": .string(instance.id),
                "hostname": isIP ? .null : host.map(JSONValue.string) ?? .null,
            ],
            "network": ["ip_addresses": isIP ? [.string(host ?? "")] : []],
            "service": ["system_name": .string(item.projectName), "applications": [.string(instance.engine)]],
            "attributes": [
                "engine": .string(instance.engine), "engine_version": .string(instance.version), "endpoint": endpoint,
                "state": .string(instance.state.rawValue), "project_id": .string(instance.projectId),
                "project_name": .string(item.projectName), "provider": .string(instance.provider), "region": .string(instance.region),
                "instance_id": .int(instance.instanceId), "high_availability": .bool(instance.highAvailability),
            ],
        ]
        let raw: JSONValue = [
            "id": .string(instance.id), "instance_id": .int(instance.instanceId), "project_id": .string(instance.projectId),
            "engine": .string(instance.engine), "version": .string(instance.version), "state": .string(instance.state.rawValue),
            "provider": .string(instance.provider),
            "endpoints": .array(instance.endpoints.map { ["host": .string($0.host), "port": .int(Int64($0.port)), "role": .string($0.role.rawValue)] }),
        ]
        return ["external_kind": "database_instance", "external_id": .string(instance.id), "normalized": normalized, "raw_payload": raw]
    }
}
