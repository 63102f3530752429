import Foundation

/// What an account may do on its instance, as read by a sync. Engine-neutral: each engine fills `attributes` with
/// its own account settings and `privileges` by scope, so MySQL, SQL Server and Oracle fit the same shape.
public struct PermissionSnapshot: Codable, Sendable, Equatable {
    /// Account settings (PostgreSQL: superuser, createrole, createdb, replication, bypassrls, inherit, login,
    /// connection_limit, valid_until).
    public var attributes: [String: JSONValue]
    /// Roles the account is a member of → whether it may grant them on (admin option).
    public var roles: [String: Bool]
    /// scope (`database`, `schema`, `table`) → object → privileges, sorted. Schema and table objects are
    /// `database.schema` (table privileges summarised per schema: what the account holds on any table in it).
    public var privileges: [String: [String: [String]]]

    public init(attributes: [String: JSONValue] = [:], roles: [String: Bool] = [:], privileges: [String: [String: [String]]] = [:]) {
        self.attributes = attributes
        self.roles = roles
        self.privileges = privileges
    }

    /// Attributes that grant power: their changes are privilege changes (`ALTER`), the others are `modify_other`.
    static let privilegeAttributes: [String: String] = [
        "superuser": "SUPERUSER", "createrole": "CREATEROLE", "createdb": "CREATEDB", "replication": "REPLICATION",
        "bypassrls": "BYPASSRLS",
    ]

    func flag(_ name: String) -> Bool {
        if case .bool(let value)? = attributes[name] { return value }
        return false
    }

    var isSuperuser: Bool { flag("superuser") }

    /// No login, or a password that has expired (`valid_until` before `now`).
    func isLocked(now: Date) -> Bool {
        if attributes["login"] != nil && !flag("login") { return true }
        if let until = attributes["valid_until"]?.stringValue, let date = Self.parseTimestamp(until) { return date < now }
        return false
    }

    /// PostgreSQL's `valid_until::text` (`2020-01-01 00:00:00+00`, or `infinity`).
    static func parseTimestamp(_ text: String) -> Date? {
        guard text != "infinity" else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for format in ["yyyy-MM-dd HH:mm:ssXXXXX", "yyyy-MM-dd HH:mm:ssX", "yyyy-MM-dd HH:mm:ss.SSSSSSX", "yyyy-MM-dd HH:mm:ss.SSSX"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// What rules read: capabilities, roles and privileges by scope.
    func facts(now: Date) -> AccountFacts {
        var capabilities: Set<String> = []
        if isSuperuser { capabilities.insert("SUPERUSER") }
        if flag("createrole") { capabilities.insert("CREATE_ROLE") }
        if flag("createdb") { capabilities.insert("CREATE_DB") }
        if flag("replication") { capabilities.insert("REPLICATION") }
        if flag("bypassrls") { capabilities.insert("BYPASS_RLS") }
        // Who can hand out access: a superuser, a CREATEROLE holder, or any member with the admin option.
        if isSuperuser || flag("createrole") || roles.values.contains(true) { capabilities.insert("GRANT_ADMIN") }
        if isLocked(now: now) { capabilities.insert("LOCKED") }
        // Power-granting attributes read as privileges of scope `global` (the snapshot keeps them as attributes).
        var privileges = self.privileges
        var global = Self.privilegeAttributes.filter { flag($0.key) }.map(\.value)
        if flag("login") { global.append("LOGIN") }
        if !global.isEmpty { privileges["global"] = ["*": global.sorted()] }
        return AccountFacts(capabilities: capabilities.sorted(), roles: roles.keys.sorted(), privileges: privileges)
    }
}

/// Derived from a snapshot; stored beside it so classification reads no engine details.
public struct AccountFacts: Codable, Sendable, Equatable {
    public var capabilities: [String]
    public var roles: [String]
    public var privileges: [String: [String: [String]]]
}

extension PermissionSnapshot {
    /// Privilege lists deduplicated and sorted, empty objects dropped: two reads of the same grants compare equal.
    func normalized() -> PermissionSnapshot {
        var copy = self
        copy.privileges = privileges.mapValues { objects in
            objects.mapValues { Array(Set($0)).sorted() }.filter { !$0.value.isEmpty }
        }.filter { !$0.value.isEmpty }
        return copy
    }
}
