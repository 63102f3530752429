import Foundation

/// A person (or automation owner) who signs in to Fathom.
public struct User: Sendable, Equatable {
    public var id: String
    public var username: String
    public var role: Role
    public var disabled: Bool
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// `data` of login and `GET /auth/me` (asset-ledger contract §2.1, §2.3).
public struct CurrentUserView: Encodable, Sendable {
    public var userId: String
    public var username: String
    public var role: Role
    public var permissions: [Permission]
}

/// A user as the admin user-management API shows it.
public struct UserView: Encodable, Sendable {
    public var userId: String
    public var username: String
    public var role: Role
    public var disabled: Bool
    public var createdAt: String
    public var updatedAt: String

    init(_ user: User) {
        userId = user.id
        username = user.username
        role = user.role
        disabled = user.disabled
        createdAt = Timestamp.iso8601(millis: user.createdAt)
        updatedAt = Timestamp.iso8601(millis: user.updatedAt)
    }
}

/// Rules for usernames and passwords, shared by the API and the command line.
public enum Credentials {
    /// Lower-cased; letters, digits, `.`, `_`, `-`; 1–64 characters, starting with a letter or digit.
    public static func normalizeUsername(_ raw: String) throws -> String {
        let username = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard (1...64).contains(username.count), username.allSatisfy(allowed.contains),
            let first = username.first, first.isLetter || first.isNumber
        else {
            throw AppError.invalid(
                field: "username", issue: "invalid",
                "username must be 1-64 characters: letters, digits, '.', '_' or '-'")
        }
        return username
    }

    /// 8–72 bytes (bcrypt reads no further than 72), no NUL (C strings — bcrypt, libpq, PostgreSQL — end there, so
    /// the password actually set would silently be a shorter one).
    public static func validatePassword(_ password: String, field: String = "password") throws {
        guard !password.utf8.contains(0) else {
            throw AppError.invalid(field: field, issue: "invalid", "password must not contain NUL characters")
        }
        guard password.utf8.count >= 8 else {
            throw AppError.invalid(field: field, issue: "too_short", "password must have at least 8 characters")
        }
        guard password.utf8.count <= 72 else {
            throw AppError.invalid(field: field, issue: "too_long", "password must have at most 72 bytes")
        }
    }

    /// The name sign-in throttling counts under: as sign-in looks it up (trimmed, lower-cased), so `Admin ` and
    /// `admin` share one count; cut to 128 characters, since no valid username is longer.
    public static func loginKey(_ raw: String) -> String {
        String(raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().prefix(128))
    }

    /// A random password for the bootstrap admin and generated credentials.
    public static func randomPassword() -> String { Secrets.randomToken(bytes: 18) }
}
