import Foundation

/// The `pve` source type over the Proxmox VE REST API: version and cluster status, then every node in scope read in
/// parallel (at most `max_parallel_nodes` at once) — status, network, storage, QEMU and LXC guests with their
/// configs, and the guest agent of running VMs. A node that does not answer leaves the inventory incomplete.
struct PVECollector: BuiltInCollector {
    static let sourceType = "pve"
    static let errorPrefix = "PVE"

    func respond(to request: CollectorRequest) async -> JSONValue {
        do {
            return try await run(request).document()
        } catch let failure as CollectorFailure {
            return CollectorOutcome.failed(failure, prefix: Self.errorPrefix)
        } catch {
            return CollectorOutcome.failed(CollectorFailure(.parseError, "unexpected failure: \(error)"), prefix: Self.errorPrefix)
        }
    }

    private func run(_ request: CollectorRequest) async throws -> CollectorOutcome {
        let config = try PVEConfig(request.config)
        let credential = try PVECredential(request.credential)
        let client = try await PVEClient(transport: try config.endpoint.transport(), endpoint: config.endpoint.endpoint)
            .authenticated(credential)
        let version = try await client.get("/version")
        let status = try await client.get("/cluster/status").arrayElements
        let cluster = status.first { $0["type"] == "cluster" }
        if request.mode == "detect" { return CollectorOutcome(detect: Self.detect(version, cluster: cluster, status: status)) }

        // PVE lists only what the account may audit: no node at all means the account lacks Sys.Audit.
        let listed = try await client.get("/nodes").arrayElements
        guard !listed.isEmpty else {
            throw CollectorFailure(.permissionDenied, "The account sees no node: it needs Sys.Audit (PVEAuditor) on /")
        }
        if request.mode == "healthcheck" { return CollectorOutcome() }

        let nodes = try Self.inScope(listed, status: status, scope: config.scope)
        let reader = PVENodeReader(client: client, hosts: request.mode != "collect_vms", guests: request.mode != "collect_hosts")
        let read = try await BoundedConcurrency.map(nodes, limit: config.maxParallelNodes) { node in try await reader.read(node) }
        var inventory = PVEInventory(clusterName: cluster?["name"]?.stringValue, scope: config.scope)
        if request.mode != "collect_vms" { inventory.addCluster(cluster) }
        for node in read { inventory.add(node, hosts: request.mode != "collect_vms", guests: request.mode != "collect_hosts") }
        return inventory.outcome()
    }

    /// The nodes to read: all of them for `cluster`, only the endpoint's own node (`local: 1`) for `standalone`.
    static func inScope(_ listed: [JSONValue], status: [JSONValue], scope: PVEConfig.Scope) throws -> [PVENode] {
        let addresses = Dictionary(
            status.filter { $0["type"] == "node" }.compactMap { entry in entry["name"]?.stringValue.map { ($0, entry) } },
            uniquingKeysWith: { first, _ in first })
        var nodes = listed.compactMap { entry -> PVENode? in
            guard let name = entry["node"]?.stringValue, !name.isEmpty else { return nil }
            let member = addresses[name]
            // Offline in either list: /nodes has it from the cluster file system, /cluster/status from corosync.
            let online = entry["status"]?.stringValue == "online" && member?["online"]?.intValue != 0
            return PVENode(name: name, online: online, summary: entry, clusterAddress: member?["ip"]?.stringValue,
                           local: member?["local"]?.intValue == 1)
        }.sorted { $0.name < $1.name }
        if scope == .standalone {
            guard let own = nodes.first(where: \.local) ?? (nodes.count == 1 ? nodes.first : nil) else {
                throw CollectorFailure(.configInvalid, "scope standalone: the endpoint does not say which node it is", context: ["field": "scope"])
            }
            nodes = [own]
        }
        return nodes
    }

    static func detect(_ version: JSONValue, cluster: JSONValue?, status: [JSONValue]) -> JSONValue {
        [
            "target_version": version["version"] ?? .null, "driver": "pve@v1",
            "capabilities": [
                "release": version["release"] ?? .null, "repoid": version["repoid"] ?? .null, "api": "api2/json",
                "cluster": cluster?["name"] ?? .null, "quorate": cluster.map { .bool($0["quorate"]?.intValue == 1) } ?? .null,
                "nodes": .int(Int64(status.filter { $0["type"] == "node" }.count)), "guest_agent": true,
            ],
        ]
    }
}

extension JSONValue {
    /// The elements of an array, or none.
    var arrayElements: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}
