import Foundation

/// Finds the VM or host that carries an address, among the machines other sources collected: by IP address or
/// hostname first, then by short hostname (`db01` for `db01.lab`), then by the machine's name. When several match,
/// a VM wins over a host (a database listening on a VM's address is on that VM, not on the host under it), then the
/// one seen most recently; ties go to the smaller asset UUID so every run decides the same way.
struct MachineAddressIndex: Sendable {
    typealias Machine = FathomInstancesStore.Machine

    private var byKey: [String: [(rank: Int, machine: Machine)]] = [:]

    init(_ machines: [Machine]) {
        for machine in machines {
            let fields = machine.normalized
            var keys: [(String, Int)] = []
            for address in fields["network"]?["ip_addresses"]?.arrayElements ?? [] {
                if let text = address.stringValue { keys.append((text, 0)) }
            }
            if let management = fields["network"]?["management_ip"]?.stringValue { keys.append((management, 0)) }
            if let hostname = fields["identity"]?["hostname"]?.stringValue {
                keys.append((hostname, 0))
                if let short = Self.shortName(hostname) { keys.append((short, 1)) }
            }
            if let caption = fields["identity"]?["caption"]?.stringValue { keys.append((caption, 2)) }
            var added = Set<String>()
            for (key, rank) in keys {
                let normalized = Self.normalize(key)
                // A loopback address is every machine's: it identifies none.
                guard !normalized.isEmpty, !Self.isLoopback(normalized), added.insert(normalized).inserted else { continue }
                byKey[normalized, default: []].append((rank, machine))
            }
        }
    }

    /// The machine for the first address (in the order given) that any machine carries.
    func machine(for addresses: [String]) -> (machine: Machine, address: String, ambiguous: Bool)? {
        for address in addresses {
            let key = Self.normalize(address)
            let candidates = (byKey[key] ?? []) + (Self.shortName(key).flatMap { byKey[$0] } ?? []).map { ($0.rank + 1, $0.machine) }
            let best = candidates.min { left, right in
                (left.rank, left.machine.kind == "vm" ? 0 : 1, -left.machine.lastSeenAt, left.machine.assetUuid)
                    < (right.rank, right.machine.kind == "vm" ? 0 : 1, -right.machine.lastSeenAt, right.machine.assetUuid)
            }
            if let best {
                let rivals = Set(candidates.filter { $0.rank == best.rank && $0.machine.kind == best.machine.kind }.map(\.machine.assetUuid))
                return (best.machine, address, rivals.count > 1)
            }
        }
        return nil
    }

    static func normalize(_ text: String) -> String {
        var value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value.hasPrefix("["), value.hasSuffix("]") { value = String(value.dropFirst().dropLast()) }
        if value.hasSuffix(".") { value = String(value.dropLast()) }
        return value
    }

    static func isLoopback(_ address: String) -> Bool {
        address == "localhost" || address == "::1" || address.hasPrefix("127.") || address == "0.0.0.0" || address == "::"
    }

    /// The first label of a dotted hostname; nil for IP addresses and single-label names.
    static func shortName(_ hostname: String) -> String? {
        let lower = normalize(hostname)
        guard lower.contains("."), !HTTPTransport.isIPAddress(lower), let first = lower.split(separator: ".").first else { return nil }
        return String(first)
    }
}
