import ArgumentParser
import FathomKit
import Foundation

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users.", subcommands: [Create.self, List.self, SetPassword.self, Disable.self, Unlock.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (prints a generated password if none is given).")
        @Argument(help: "Username.") var username: String
        @Option(help: "member (tenant: project access only), viewer, operator or admin.") var role: String = "viewer"
        @Option(help: "Password; read from FATHOM_NEW_PASSWORD if unset, else generated.") var password: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be member, viewer, operator or admin") }
            let given = password ?? ProcessInfo.processInfo.environment["FATHOM_NEW_PASSWORD"]
            let secret = given ?? Credentials.randomPassword()
            try await store.withServices { services in
                do {
                    let user = try await services.identity.createUser(username: username, password: secret, role: role)
                    print("Created user \(user.username) (\(user.id), \(user.role.rawValue))")
                    if given == nil { print("Password: \(secret)") }
                } catch { throw ValidationError(describe(error)) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withServices { services in
                for user in try await services.identity.users.list(offset: 0, limit: 100_000) {
                    print("\(user.id)\t\(user.username)\t\(user.role.rawValue)\t\(user.disabled ? "disabled" : "active")")
                }
            }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password; ends its sessions.")
        @Argument(help: "Username or user id.") var user: String
        @Option(help: "New password; read from FATHOM_NEW_PASSWORD if unset, else generated.") var password: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let given = password ?? ProcessInfo.processInfo.environment["FATHOM_NEW_PASSWORD"]
            let secret = given ?? Credentials.randomPassword()
            try await store.withServices { services in
                guard let found = try await services.identity.findUser(user) else { throw ValidationError("no user '\(user)'") }
                do {
                    try await services.identity.resetPassword(id: found.id, password: secret)
                } catch { throw ValidationError(describe(error)) }
                print("Password of \(found.username) changed")
                if given == nil { print("Password: \(secret)") }
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear a user's sign-in throttle on every address.")
        @Argument(help: "Username or user id.") var user: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withServices { services in
                // A throttled name need not be a user (failures are counted for any name tried): unlock it anyway.
                let name = try await services.identity.findUser(user)?.username ?? user
                let cleared = try await services.identity.unlock(username: name)
                print("Unlocked \(name) (\(cleared) address\(cleared == 1 ? "" : "es") cleared)")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user; ends its sessions and revokes its tokens.")
        @Argument(help: "Username or user id.") var user: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withServices { services in
                guard let found = try await services.identity.findUser(user) else { throw ValidationError("no user '\(user)'") }
                _ = try await services.identity.updateUser(id: found.id, role: nil, disabled: true, actor: nil)
                print("Disabled \(found.username)")
            }
        }
    }
}

struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API tokens.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a bearer token for a user (the secret is printed once).")
        @Option(help: "Username or user id.") var user: String
        @Option(help: "A name to recognise the token by.") var name: String
        @Option(help: "Role ceiling (viewer, operator, admin); default the user's role.") var role: String?
        @Option(help: "Bind the token to one project (proj-…).") var project: String?
        @Option(help: "Expire after this many days.") var expiresInDays: Int?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let ceiling = try role.map { value -> Role in
                guard let role = Role(rawValue: value) else { throw ValidationError("--role must be viewer, operator or admin") }
                return role
            }
            try await store.withServices { services in
                guard let found = try await services.identity.findUser(user) else { throw ValidationError("no user '\(user)'") }
                do {
                    let (token, secret) = try await services.identity.createToken(
                        for: found, name: name, role: ceiling, projectId: project, expiresInDays: expiresInDays)
                    print("Created token \(token.tokenId) (\(token.role.rawValue)) for \(found.username)")
                    print(secret)
                } catch { throw ValidationError(describe(error)) }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id.")
        @Argument(help: "Token id (tok_…).") var tokenId: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.withServices { services in
                do {
                    try await services.identity.revokeToken(id: tokenId, by: nil)
                } catch { throw ValidationError(describe(error)) }
                print("Revoked \(tokenId)")
            }
        }
    }
}
