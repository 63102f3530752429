import Foundation

/// Maps what was read from Proxmox VE to `normalized-v1` assets and relations. Identities do not name the node a
/// guest is on — a VM is `{scope}/qemu/{vmid}` (scope: the cluster's name, or a standalone node's), so a live
/// migration moves the same asset from one host to another instead of making a new one.
struct PVEInventory {
    let clusterName: String?
    let scope: PVEConfig.Scope
    private var assets: [JSONValue] = []
    private var relations: [JSONValue] = []
    private var warnings: [String] = []
    private var complete = true
    private var silentAgents = 0

    init(clusterName: String?, scope: PVEConfig.Scope) {
        self.clusterName = clusterName
        self.scope = scope
    }

    /// The prefix of every id: the cluster's name, else the (standalone) node's.
    func scopeKey(node: String) -> String { clusterName ?? node }
    func clusterId(_ name: String) -> String { "cluster/\(name)" }
    func hostId(_ node: String) -> String { "\(scopeKey(node: node))/node/\(node)" }
    func guestId(_ guest: PVEGuest, node: String) -> String { "\(scopeKey(node: node))/\(guest.type)/\(guest.vmid)" }

    /// The cluster, in `cluster` scope when the endpoint belongs to one.
    mutating func addCluster(_ entry: JSONValue?) {
        guard scope == .cluster, let entry, let name = clusterName else { return }
        let normalized: JSONValue = [
            "version": "normalized-v1", "kind": "cluster",
            "identity": ["caption": .string(name)],
            "attributes": ["nodes": entry["nodes"] ?? .null, "quorate": .bool(entry["quorate"]?.intValue == 1),
                           "config_version": entry["version"] ?? .null, "platform": "proxmox-ve"],
        ]
        assets.append(Self.asset("cluster", clusterId(name), normalized, raw: entry))
    }

    mutating func add(_ node: PVENode, hosts: Bool, guests: Bool) {
        if let problem = node.problem {
            complete = false
            warnings.append("\(problem); the inventory is incomplete")
        }
        if hosts { addHost(node) }
        if guests { for guest in node.guests { addGuest(guest, node: node.name) } }
    }

    private mutating func addHost(_ node: PVENode) {
        let id = hostId(node.name)
        let status = node.status
        let cpu = status["cpuinfo"]
        // Interface addresses of the node (bridges carry the management address), the corosync one first.
        var ips = node.clusterAddress.map { [$0] } ?? []
        for interface in node.network {
            for key in ["address", "address6"] { if let address = interface[key]?.stringValue, !address.isEmpty { ips.append(address) } }
        }
        let managementIP = node.clusterAddress ?? node.network.first { $0["gateway"] != nil }?["address"]?.stringValue
        let stores: [JSONValue] = node.storage.compactMap { store in
            guard let name = store["storage"]?.stringValue, let total = store["total"]?.intValue else { return nil }
            return ["name": .string(name), "capacity_bytes": .int(total)]
        }
        let pveVersion = status["pveversion"]?.stringValue.map { $0.split(separator: "/").dropFirst().first.map(String.init) ?? $0 }
        var attributes: [String: JSONValue] = [
            "node": .string(node.name), "platform": "proxmox-ve", "online": .bool(node.online),
            "cpu_model": cpu?["model"] ?? .null, "cpu_sockets": cpu?["sockets"] ?? .null, "cpu_cores": cpu?["cores"] ?? .null,
            "pve_version": pveVersion.map(JSONValue.string) ?? .null, "ssl_fingerprint": node.summary["ssl_fingerprint"] ?? .null,
        ]
        if let cluster = clusterName { attributes["cluster"] = .string(cluster) }
        let normalized: JSONValue = [
            "version": "normalized-v1", "kind": "host",
            "identity": ["caption": .string(node.name), "hostname": .string(node.name)],
            "network": ["ip_addresses": .array(Self.unique(ips).map(JSONValue.string)),
                        "management_ip": managementIP.map(JSONValue.string) ?? .null],
            "os": ["name": "Proxmox VE", "version": pveVersion.map(JSONValue.string) ?? .null,
                   "fingerprint": status["kversion"].flatMap { $0.stringValue.map(JSONValue.string) } ?? .null],
            "hardware": ["cpu_count": cpu?["cpus"] ?? node.summary["maxcpu"] ?? .null,
                         "memory_bytes": status["memory"]?["total"] ?? node.summary["maxmem"] ?? .null],
            "runtime": ["power_state": node.online ? "poweredOn" : .null],
            "storage": ["datastores": .array(stores)],
            "attributes": .object(attributes.filter { $0.value != .null }),
        ]
        let raw: JSONValue = ["node": node.summary, "status": status, "network": .array(node.network), "storage": .array(node.storage)]
        assets.append(Self.asset("host", id, normalized, raw: raw))
        if scope == .cluster, let cluster = clusterName {
            relations.append(CollectorOutcome.relation("member_of", from: ("host", id), to: ("cluster", clusterId(cluster))))
        }
    }

    private mutating func addGuest(_ guest: PVEGuest, node: String) {
        let id = guestId(guest, node: node)
        let config = guest.config
        var ips: [String] = []
        var macs = config.macAddresses
        var hostname = guest.type == "lxc" ? config.text("hostname") : nil
        var os: JSONValue = ["fingerprint": config.text("ostype").map(JSONValue.string) ?? .null]
        var toolsRunning: JSONValue = .null
        var toolsStatus: JSONValue = .null
        switch guest.agent {
        case .answered(let interfaces, let name, let info):
            for interface in interfaces.arrayElements {
                ips += interface["ip-addresses"]?.arrayElements.compactMap { $0["ip-address"]?.stringValue } ?? []
                if let mac = interface["hardware-address"]?.stringValue { macs.append(mac.lowercased()) }
            }
            hostname = name ?? hostname
            os = [
                "name": info["pretty-name"] ?? info["name"] ?? .null, "version": info["version"] ?? .null,
                "fingerprint": config.text("ostype").map(JSONValue.string) ?? .null,
            ]
            (toolsRunning, toolsStatus) = (true, "guestAgentRunning")
        case .silent:
            silentAgents += 1
            (toolsRunning, toolsStatus) = (false, "guestAgentNotRunning")
        case .notAsked:
            break
        }
        for interface in guest.interfaces.arrayElements {
            for key in ["inet", "inet6"] {
                if let address = interface[key]?.stringValue?.split(separator: "/").first { ips.append(String(address)) }
            }
            if let mac = interface["hwaddr"]?.stringValue { macs.append(mac.lowercased()) }
        }
        ips += config.staticAddresses
        let usable = Self.unique(ips.filter(Self.identifiesGuest))
        let macList = Self.unique(macs.filter { $0 != "00:00:00:00:00:00" })
        let cores = config.int("cores") ?? 1
        let cpus = config.int("vcpus") ?? (guest.type == "qemu" ? cores * (config.int("sockets") ?? 1) : config.int("cores"))
        var attributes: [String: JSONValue] = [
            "vmid": .string(guest.vmid), "node": .string(node), "guest_type": .string(guest.type), "platform": "proxmox-ve",
            "template": .bool(config.int("template") == 1 || guest.summary["template"]?.intValue == 1),
            "tags": config.text("tags").map(JSONValue.string) ?? .null,
        ]
        if let cluster = clusterName { attributes["cluster"] = .string(cluster) }
        let normalized: JSONValue = [
            "version": "normalized-v1", "kind": "vm",
            "identity": [
                "caption": guest.summary["name"] ?? config.text("name").map(JSONValue.string) ?? hostname.map(JSONValue.string) ?? .null,
                "hostname": hostname.map(JSONValue.string) ?? .null, "machine_uuid": config.smbiosUUID.map(JSONValue.string) ?? .null,
            ],
            "network": ["ip_addresses": .array(usable.map(JSONValue.string)), "mac_addresses": .array(macList.map(JSONValue.string))],
            "os": os,
            "hardware": [
                "cpu_count": cpus.map(JSONValue.int) ?? guest.summary["cpus"] ?? .null,
                "memory_bytes": config.int("memory").map { .int($0 << 20) } ?? guest.summary["maxmem"] ?? .null,
                "disks": .array(config.disks),
            ],
            "runtime": ["power_state": Self.powerState(guest.summary), "tools_running": toolsRunning, "tools_status": toolsStatus],
            "attributes": .object(attributes.filter { $0.value != .null }),
        ]
        var raw: [String: JSONValue] = ["summary": guest.summary, "config": .object(config.values)]
        if case .answered(let interfaces, let name, let info) = guest.agent {
            raw["agent"] = ["interfaces": interfaces, "host_name": name.map(JSONValue.string) ?? .null, "osinfo": info]
        }
        assets.append(Self.asset("vm", id, normalized, raw: .object(raw)))
        relations.append(CollectorOutcome.relation("runs_on", from: ("vm", id), to: ("host", hostId(node))))
        relations.append(CollectorOutcome.relation("hosts_vm", from: ("host", hostId(node)), to: ("vm", id)))
    }

    func outcome() -> CollectorOutcome {
        var outcome = CollectorOutcome(assets: assets, relations: relations, warnings: warnings, complete: complete)
        if silentAgents > 0 {
            outcome.warnings.append("\(silentAgents) running VMs have the guest agent enabled but it did not answer; their addresses are unknown")
        }
        return outcome
    }

    /// Loopback and link-local addresses are every guest's: they say nothing about which machine this is.
    static func identifiesGuest(_ address: String) -> Bool {
        let lower = address.lowercased()
        return !(lower.hasPrefix("127.") || lower == "::1" || lower.hasPrefix("fe80:") || lower.hasPrefix("169.254."))
    }

    /// `running` / `stopped` from the guest list; a paused VM (`qmpstatus: paused`) counts as suspended.
    static func powerState(_ summary: JSONValue) -> JSONValue {
        switch (summary["status"]?.stringValue, summary["qmpstatus"]?.stringValue) {
        case (_, "paused"?), (_, "suspended"?): return "suspended"
        case ("running"?, _): return "poweredOn"
        case ("stopped"?, _): return "poweredOff"
        default: return .null
        }
    }

    private static func asset(_ kind: String, _ id: String, _ normalized: JSONValue, raw: JSONValue) -> JSONValue {
        ["external_kind": .string(kind), "external_id": .string(id), "normalized": normalized, "raw_payload": raw]
    }

    private static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}
