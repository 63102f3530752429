import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `::1/128`, or one address). IPv4-mapped IPv6 addresses count as IPv4.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let address = IPAddress.parse(first) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            prefix = bits
        }
        bytes = address
    }

    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefix
        for index in bytes.indices where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= take
        }
        return true
    }

    public var description: String { "\(IPAddress.text(bytes))/\(prefix)" }
}

/// Parsing, printing and resolving IP addresses.
public enum IPAddress {
    /// 4 bytes for IPv4 (also for `::ffff:a.b.c.d`), 16 for IPv6; nil when `text` is not an address literal.
    public static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        return normalize(withUnsafeBytes(of: &v6) { Array($0) })
    }

    static func normalize(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return Array(bytes[12..<16])
        }
        return bytes
    }

    public static func text(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: bytes.count, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    /// Every address `host` resolves to (a literal resolves to itself).
    public static func resolve(_ host: String) -> [[UInt8]] {
        if let literal = parse(host) { return [literal] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var found: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                switch Int32(entry.pointee.ai_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var value = pointer.pointee.sin_addr
                        found.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var value = pointer.pointee.sin6_addr
                        found.append(normalize(withUnsafeBytes(of: &value) { Array($0) }))
                    }
                default: break
                }
            }
            cursor = entry.pointee.ai_next
        }
        var unique: [[UInt8]] = []
        for address in found where !unique.contains(address) { unique.append(address) }
        return unique
    }
}

/// Where an `external` instance may point: not at this host or its neighbours (loopback, link-local, cloud metadata,
/// unspecified addresses) nor at the local provider's ports, unless an administrator allows networks with
/// `FATHOM_EXTERNAL_ALLOW`. Otherwise any project operator could make the server connect anywhere (SSRF), e.g. to a
/// loopback-only instance of another project.
public struct ExternalNetworkPolicy: Sendable {
    /// Networks allowed even though they are refused by default.
    public var allow: [CIDR]
    /// The local provider's ports: refused on any address the allow list does not name.
    public var localPorts: ClosedRange<Int>

    public init(allow: [CIDR] = [], localPorts: ClosedRange<Int> = 15432...16431) {
        self.allow = allow
        self.localPorts = localPorts
    }

    /// Refused unless allowed: loopback, link-local (with the 169.254.169.254 metadata service), unspecified,
    /// other metadata endpoints, and "this network" addresses.
    public static let refused: [CIDR] = [
        "127.0.0.0/8", "0.0.0.0/8", "169.254.0.0/16", "100.100.100.200/32", "::1/128", "::/128", "fe80::/10",
        "fd00:ec2::254/128",
    ].compactMap { CIDR($0) }

    /// Why `host:port` is refused, or nil when every address it resolves to may be used. A name that resolves to
    /// nothing is refused too (it cannot be checked).
    public func refusal(host: String, port: Int) -> String? {
        let addresses = IPAddress.resolve(host)
        guard !addresses.isEmpty else { return "\(host) does not resolve" }
        for address in addresses {
            let allowed = allow.contains { $0.contains(address) }
            if allowed { continue }
            if let range = Self.refused.first(where: { $0.contains(address) }) {
                return "\(host) resolves to \(IPAddress.text(address)) in \(range), refused (FATHOM_EXTERNAL_ALLOW can allow it)"
            }
            if localPorts.contains(port) {
                return "port \(port) is in the local provider's range \(localPorts.lowerBound)-\(localPorts.upperBound), refused for \(IPAddress.text(address))"
            }
        }
        return nil
    }

    /// The first resolved address, to connect to exactly what was checked (a name re-resolved later could point
    /// elsewhere).
    public func checkedAddress(host: String) -> String? {
        IPAddress.resolve(host).first.map(IPAddress.text)
    }

    /// Parses `FATHOM_EXTERNAL_ALLOW`: comma-separated CIDRs or addresses.
    public static func parseAllowList(_ text: String) -> [CIDR]? {
        var list: [CIDR] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            guard let cidr = CIDR(part) else { return nil }
            list.append(cidr)
        }
        return list
    }
}
