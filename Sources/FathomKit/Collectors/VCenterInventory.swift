import Foundation

/// Maps the property collector's objects to `normalized-v1` assets and the protocol's relations: VMs `runs_on`
/// their host (and the host `hosts_vm` them), hosts `member_of` their cluster. A VM with no host (unregistered,
/// orphaned, inaccessible) is still an asset, only without a `runs_on`.
struct VCenterInventory {
    static let vmPaths = [
        "name", "config.instanceUuid", "config.uuid", "config.guestFullName", "config.template", "config.hardware.numCPU",
        "config.hardware.memoryMB", "config.hardware.device", "guest.hostName", "guest.ipAddress", "guest.net",
        "guest.guestFullName", "guest.toolsRunningStatus", "guest.toolsStatus", "runtime.powerState", "runtime.host",
    ]
    static let hostPaths = [
        "name", "summary.hardware", "hardware.systemInfo", "summary.config.product", "config.network.vnic", "datastore",
        "parent", "runtime.powerState", "runtime.connectionState",
    ]
    static let clusterPaths = ["name", "summary", "host"]
    static let datastorePaths = ["name", "summary.capacity"]

    private var datastores: [String: (name: String, capacity: Int64)] = [:]
    private var clusterIds: Set<String> = []
    private var assets: [JSONValue] = []
    private var relations: [JSONValue] = []
    private var partialObjects = 0
    var pages = 0

    mutating func addDatastores(_ objects: [VCenterSOAP.ObjectContent]) {
        for object in objects {
            guard let name = object.properties["name"]?.text else { continue }
            datastores[object.id] = (name, Int64(object.properties["summary.capacity"]?.text ?? "") ?? 0)
        }
    }

    mutating func addClusters(_ objects: [VCenterSOAP.ObjectContent]) {
        for object in objects {
            note(object)
            clusterIds.insert(object.id)
            let summary = object.properties["summary"]
            var attributes: [String: JSONValue] = ["moref": .string(object.id)]
            attributes["num_hosts"] = Self.int(summary?.child("numHosts"))
            attributes["num_cpu_cores"] = Self.int(summary?.child("numCpuCores"))
            attributes["total_cpu_mhz"] = Self.int(summary?.child("totalCpu"))
            let normalized: JSONValue = [
                "version": "normalized-v1", "kind": "cluster",
                "identity": ["caption": Self.string(object.properties["name"])],
                "hardware": ["memory_bytes": Self.int(summary?.child("totalMemory")), "cpu_count": Self.int(summary?.child("numCpuCores"))],
                "attributes": .object(attributes.filter { $0.value != .null }),
            ]
            assets.append(Self.asset("cluster", object, normalized))
        }
    }

    mutating func addHosts(_ objects: [VCenterSOAP.ObjectContent]) {
        for object in objects {
            note(object)
            let properties = object.properties
            let hardware = properties["summary.hardware"]
            let product = properties["summary.config.product"]
            let vnics = properties["config.network.vnic"]?.children ?? []
            let ips = vnics.compactMap { $0.path("spec.ip.ipAddress")?.text }.filter { !$0.isEmpty }
            let macs = vnics.compactMap { $0.path("spec.mac")?.text }.filter { !$0.isEmpty }
            let stores: [JSONValue] = (properties["datastore"]?.children ?? []).compactMap { reference in
                datastores[reference.text].map { ["name": .string($0.name), "capacity_bytes": .int($0.capacity)] }
            }
            let normalized: JSONValue = [
                "version": "normalized-v1", "kind": "host",
                "identity": [
                    "caption": Self.string(properties["name"]), "hostname": Self.string(properties["name"]),
                    "machine_uuid": Self.string(hardware?.child("uuid")), "vendor": Self.string(hardware?.child("vendor")),
                    "model": Self.string(hardware?.child("model")), "serial_number": Self.serial(properties["hardware.systemInfo"], hardware),
                ],
                "network": [
                    "ip_addresses": .array(Self.unique(ips).map(JSONValue.string)), "mac_addresses": .array(Self.unique(macs).map(JSONValue.string)),
                    "management_ip": ips.first.map(JSONValue.string) ?? .null,
                ],
                "os": ["name": Self.string(product?.child("name")), "version": Self.string(product?.child("version")),
                       "fingerprint": Self.string(product?.child("fullName"))],
                "hardware": ["cpu_count": Self.int(hardware?.child("numCpuCores")), "memory_bytes": Self.int(hardware?.child("memorySize"))],
                "runtime": ["power_state": Self.powerState(properties["runtime.powerState"])],
                "storage": ["datastores": .array(stores)],
                "attributes": .object([
                    "moref": .string(object.id), "esxi_version": Self.string(product?.child("version")),
                    "esxi_build": Self.string(product?.child("build")), "api_version": Self.string(product?.child("apiVersion")),
                    "cpu_model": Self.string(hardware?.child("cpuModel")), "cpu_threads": Self.int(hardware?.child("numCpuThreads")),
                    "connection_state": Self.string(properties["runtime.connectionState"]),
                ].filter { $0.value != .null }),
            ]
            assets.append(Self.asset("host", object, normalized))
            if let parent = properties["parent"], parent.attributes["type"] == "ClusterComputeResource" {
                relations.append(CollectorOutcome.relation("member_of", from: ("host", object.id), to: ("cluster", parent.text)))
            }
        }
    }

    mutating func addVMs(_ objects: [VCenterSOAP.ObjectContent]) {
        for object in objects {
            note(object)
            let properties = object.properties
            let nics = properties["guest.net"]?.children ?? []
            var ips = nics.flatMap { $0.all("ipAddress").map(\.text) }
            if let primary = properties["guest.ipAddress"]?.text { ips.insert(primary, at: 0) }
            let devices = properties["config.hardware.device"]?.children ?? []
            let macs = nics.compactMap { $0.child("macAddress")?.text } + devices.compactMap { $0.child("macAddress")?.text }
            let disks: [JSONValue] = devices.filter { $0.xsiType == "VirtualDisk" }.map(Self.disk)
            let toolsRunning: JSONValue = properties["guest.toolsRunningStatus"].map { JSONValue.bool($0.text == "guestToolsRunning") } ?? .null
            let memoryBytes: JSONValue = properties["config.hardware.memoryMB"].flatMap { Int64($0.text) }.map { JSONValue.int($0 << 20) } ?? .null
            let normalized: JSONValue = [
                "version": "normalized-v1", "kind": "vm",
                "identity": [
                    "caption": Self.string(properties["name"]), "hostname": Self.string(properties["guest.hostName"]),
                    "machine_uuid": Self.string(properties["config.instanceUuid"]),
                ],
                "network": [
                    "ip_addresses": .array(Self.unique(ips.filter { !$0.isEmpty }).map(JSONValue.string)),
                    "mac_addresses": .array(Self.unique(macs.filter { !$0.isEmpty }).map(JSONValue.string)),
                ],
                "os": ["name": Self.string(properties["guest.guestFullName"] ?? properties["config.guestFullName"])],
                "hardware": ["cpu_count": Self.int(properties["config.hardware.numCPU"]), "memory_bytes": memoryBytes, "disks": .array(disks)],
                "runtime": [
                    "power_state": Self.powerState(properties["runtime.powerState"]), "tools_running": toolsRunning,
                    "tools_status": Self.string(properties["guest.toolsStatus"]),
                ],
                "attributes": .object([
                    "moref": .string(object.id), "bios_uuid": Self.string(properties["config.uuid"]),
                    "template": properties["config.template"].map { JSONValue.bool($0.text == "true") } ?? .null,
                ].filter { $0.value != .null }),
            ]
            assets.append(Self.asset("vm", object, normalized))
            if let host = properties["runtime.host"]?.text, !host.isEmpty {
                relations.append(CollectorOutcome.relation("runs_on", from: ("vm", object.id), to: ("host", host)))
                relations.append(CollectorOutcome.relation("hosts_vm", from: ("host", host), to: ("vm", object.id)))
            }
        }
    }

    func outcome() -> CollectorOutcome {
        var outcome = CollectorOutcome(assets: assets, relations: relations)
        if partialObjects > 0 {
            outcome.warnings.append("\(partialObjects) objects have properties vCenter did not return (missingSet); they are collected without them")
        }
        return outcome
    }

    private mutating func note(_ object: VCenterSOAP.ObjectContent) {
        if !object.missing.isEmpty { partialObjects += 1 }
    }

    /// The raw payload keeps every property read except the device list (large, and summarised in `disks`).
    private static func asset(_ kind: String, _ object: VCenterSOAP.ObjectContent, _ normalized: JSONValue) -> JSONValue {
        var raw: [String: JSONValue] = ["moref": .string(object.id), "type": .string(object.type)]
        for (path, value) in object.properties where path != "config.hardware.device" { raw[path] = value.json }
        return ["external_kind": .string(kind), "external_id": .string(object.id), "normalized": normalized, "raw_payload": .object(raw)]
    }

    private static func disk(_ device: XMLItem) -> JSONValue {
        let bytes = device.child("capacityInBytes").flatMap { Int64($0.text) }
            ?? device.child("capacityInKB").flatMap { Int64($0.text) }.map { $0 * 1024 }
        let backing = device.child("backing")
        let type: JSONValue
        if backing?.child("thinProvisioned")?.text == "true" {
            type = "thin"
        } else if backing?.child("eagerlyScrub")?.text == "true" {
            type = "eagerZeroedThick"
        } else if backing?.child("thinProvisioned") != nil {
            type = "thick"
        } else {
            type = .null
        }
        return ["name": string(device.path("deviceInfo.label")), "size_bytes": bytes.map(JSONValue.int) ?? .null, "type": type]
    }

    /// The serial number where vSphere 6.7+ reports it, else the SMBIOS service tag older versions list (in the
    /// system info or the hardware summary).
    private static func serial(_ systemInfo: XMLItem?, _ summary: XMLItem?) -> JSONValue {
        if let serial = systemInfo?.child("serialNumber")?.text, !serial.isEmpty { return .string(serial) }
        let tags = (systemInfo?.all("otherIdentifyingInfo") ?? []) + (summary?.all("otherIdentifyingInfo") ?? [])
        let tag = tags.first { $0.path("identifierType.key")?.text == "ServiceTag" }
        return tag?.child("identifierValue").map { .string($0.text.trimmingCharacters(in: .whitespaces)) } ?? .null
    }

    private static func powerState(_ item: XMLItem?) -> JSONValue {
        guard let state = item?.text, ["poweredOn", "poweredOff", "suspended"].contains(state) else { return .null }
        return .string(state)
    }

    private static func string(_ item: XMLItem?) -> JSONValue {
        guard let text = item?.text, !text.isEmpty else { return .null }
        return .string(text)
    }

    private static func int(_ item: XMLItem?) -> JSONValue { item.flatMap { Int64($0.text) }.map(JSONValue.int) ?? .null }

    private static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}
