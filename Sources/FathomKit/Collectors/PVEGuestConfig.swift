import Foundation

/// Reads the option strings of a Proxmox VE guest config (`qm config` / `pct config`): comma-separated
/// `key=value` lists such as `virtio=BC:24:11:2A:3B:4C,bridge=vmbr0` or `local-lvm:vm-100-disk-0,size=32G`.
struct PVEGuestConfig: Sendable {
    let values: [String: JSONValue]

    init(_ data: JSONValue) {
        if case .object(let object) = data { values = object } else { values = [:] }
    }

    /// A config value as text (PVE sends numbers for some keys and strings for others, depending on the version).
    func text(_ key: String) -> String? {
        switch values[key] {
        case .string(let text)?: return text
        case .int(let number)?: return String(number)
        case .double(let number)?: return String(number)
        default: return nil
        }
    }

    func int(_ key: String) -> Int64? { text(key).flatMap { Int64(Self.options($0)["current"] ?? Self.options($0)[""] ?? $0) } }

    /// `key=value` pairs; an item without `=` (a disk's volume) is kept under the empty key.
    static func options(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in text.split(separator: ",") {
            if let equals = item.firstIndex(of: "=") {
                result[String(item[..<equals])] = String(item[item.index(after: equals)...])
            } else if result[""] == nil {
                result[""] = String(item)
            }
        }
        return result
    }

    /// The SMBIOS UUID of a VM (`smbios1: uuid=…`): the identity that survives migration, cloning aside.
    var smbiosUUID: String? {
        guard let smbios = text("smbios1"), let uuid = Self.options(smbios)["uuid"], !uuid.isEmpty else { return nil }
        return uuid.lowercased()
    }

    /// `net0`, `net1` … in order.
    var networks: [(name: String, options: [String: String])] {
        values.keys.filter { Self.numbered($0, prefixes: ["net"]) }.sorted(by: Self.naturalOrder).compactMap { key in
            text(key).map { (key, Self.options($0)) }
        }
    }

    /// MAC addresses of the network devices, lower-case like the other collectors': a VM's model key
    /// (`virtio=MAC`, `e1000=MAC` …) or a container's `hwaddr`.
    var macAddresses: [String] {
        networks.compactMap { _, options in
            if let mac = options["hwaddr"] ?? options["macaddr"] { return mac.lowercased() }
            return options.first { ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3", "ne2k_pci", "pcnet", "i82551", "i82557b", "i82559er"].contains($0.key) }?
                .value.lowercased()
        }
    }

    /// A container's static addresses (`ip=10.0.0.5/24`, `ip6=fd00::5/64`; `dhcp`/`manual` say nothing).
    var staticAddresses: [String] {
        networks.flatMap { _, options in
            [options["ip"], options["ip6"]].compactMap { value -> String? in
                guard let value, let address = value.split(separator: "/").first, address.contains(where: { $0 == "." || $0 == ":" }) else { return nil }
                return String(address)
            }
        }
    }

    /// Disks: a VM's `scsi0`, `virtio1`, `sata0`, `ide0` (not CD-ROMs) and `efidisk0`; a container's `rootfs`
    /// and `mp0` ….
    var disks: [JSONValue] {
        let keys = values.keys.filter { $0 == "rootfs" || Self.numbered($0, prefixes: ["scsi", "virtio", "sata", "ide", "efidisk", "mp"]) }
        return keys.sorted(by: Self.naturalOrder).compactMap { key -> JSONValue? in
            guard let text = text(key) else { return nil }
            let options = Self.options(text)
            guard options["media"] != "cdrom", options[""] != "none" else { return nil }
            return ["name": .string(key), "size_bytes": options["size"].flatMap(Self.bytes).map(JSONValue.int) ?? .null, "type": .null]
        }
    }

    /// `32G`, `512M`, `4T`, `100K` or plain bytes.
    static func bytes(_ size: String) -> Int64? {
        guard let last = size.last else { return nil }
        let shifts: [Character: Int64] = ["K": 10, "M": 20, "G": 30, "T": 40, "P": 50]
        if let shift = shifts[Character(last.uppercased())] {
            guard let number = Double(size.dropLast()) else { return nil }
            return Int64(number * Double(Int64(1) << shift))
        }
        return Int64(size)
    }

    private static func numbered(_ key: String, prefixes: [String]) -> Bool {
        prefixes.contains { prefix in
            key.hasPrefix(prefix) && key.count > prefix.count && key.dropFirst(prefix.count).allSatisfy(\.isNumber)
        }
    }

    /// `net2` before `net10`.
    private static func naturalOrder(_ left: String, _ right: String) -> Bool {
        left.compare(right, options: .numeric) == .orderedAscending
    }
}
