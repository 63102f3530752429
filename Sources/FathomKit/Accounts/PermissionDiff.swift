/// The change-log entry kinds and how two snapshots differ.
public enum ChangeType: String, Sendable, Codable, CaseIterable {
    case add, modify_privilege, modify_other, delete
}

/// One privilege change: `GRANT`/`REVOKE` of privileges (or of a role, scope `role`) on an object, or `ALTER` of
/// a power-granting attribute (scope `global`, object the attribute, with before/after).
struct PrivilegeChange: Codable, Sendable, Equatable {
    var action: String
    var scope: String
    var object: String
    var privileges: [String]
    var before: JSONValue?
    var after: JSONValue?
}

/// A change of anything else (connection limit, login, expiry, inherit) with its values before and after.
struct OtherChange: Codable, Sendable, Equatable {
    var field: String
    var before: JSONValue?
    var after: JSONValue?
}

enum PermissionDiff {
    /// Privilege and other changes from `old` to `new` (nil `old`: everything is granted).
    static func diff(from old: PermissionSnapshot?, to new: PermissionSnapshot) -> (privileges: [PrivilegeChange], other: [OtherChange]) {
        let old = old ?? PermissionSnapshot()
        var privileges: [PrivilegeChange] = []
        var other: [OtherChange] = []
        for name in Set(old.attributes.keys).union(new.attributes.keys).sorted() where old.attributes[name] != new.attributes[name] {
            if let privilege = PermissionSnapshot.privilegeAttributes[name] {
                // A new account without the power is no change worth a line.
                if old.attributes[name] == nil && new.attributes[name] == .bool(false) { continue }
                privileges.append(PrivilegeChange(
                    action: "ALTER", scope: "global", object: privilege, privileges: [privilege],
                    before: old.attributes[name], after: new.attributes[name]))
            } else if !old.attributes.isEmpty {
                other.append(OtherChange(field: name, before: old.attributes[name], after: new.attributes[name]))
            }
        }
        let grantedRoles = Set(new.roles.keys).subtracting(old.roles.keys).sorted()
        let revokedRoles = Set(old.roles.keys).subtracting(new.roles.keys).sorted()
        if !grantedRoles.isEmpty { privileges.append(PrivilegeChange(action: "GRANT", scope: "role", object: "*", privileges: grantedRoles)) }
        if !revokedRoles.isEmpty { privileges.append(PrivilegeChange(action: "REVOKE", scope: "role", object: "*", privileges: revokedRoles)) }
        for (role, admin) in new.roles.sorted(by: { $0.key < $1.key }) where old.roles[role] != nil && old.roles[role] != admin {
            other.append(OtherChange(field: "role_admin_option:\(role)", before: old.roles[role].map(JSONValue.bool), after: .bool(admin)))
        }
        for scope in Set(old.privileges.keys).union(new.privileges.keys).sorted() {
            let before = old.privileges[scope] ?? [:]
            let after = new.privileges[scope] ?? [:]
            for object in Set(before.keys).union(after.keys).sorted() {
                let was = Set(before[object] ?? [])
                let now = Set(after[object] ?? [])
                let granted = now.subtracting(was).sorted()
                let revoked = was.subtracting(now).sorted()
                if !granted.isEmpty { privileges.append(PrivilegeChange(action: "GRANT", scope: scope, object: object, privileges: granted)) }
                if !revoked.isEmpty { privileges.append(PrivilegeChange(action: "REVOKE", scope: scope, object: object, privileges: revoked)) }
            }
        }
        return (privileges, other)
    }
}
